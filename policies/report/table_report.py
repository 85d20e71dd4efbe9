"""The report as readable tables (rich): findings per stack, then waiver notes."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from policies.engine import Report, StackReport
from policies.report.summary import summary

__all__ = ["render", "renderable"]

STATUS_STYLE = {"violation": "bold red", "advisory": "yellow", "waived": "dim"}


def _stack_table(stack: StackReport) -> Table:
    table = Table(
        title=f"{stack.stack}: {stack.resources} resources, {stack.rules} rules, "
        f"{stack.seconds * 1000:.0f} ms",
        title_justify="left",
        show_lines=False,
    )
    for column in ("status", "rule", "severity", "resource", "spec key", "finding"):
        table.add_column(column, overflow="fold")
    order = {"violation": 0, "advisory": 1, "waived": 2}
    for f in sorted(
        stack.findings, key=lambda f: (order[f.status], f.rule.id, f.resource_name or "")
    ):
        message = (
            f.message
            if f.waiver is None
            else f"{f.message} [waived: {f.waiver.reason}, {f.waiver.approver}, "
            f"until {f.waiver.expires}]"
        )
        if f.waiver is None:
            message += f"\nchange: {f.fix}"
        table.add_row(
            Text(f.status, style=STATUS_STYLE[f.status]),
            f"{f.rule.id}\n{f.rule.name}",
            f.rule.severity.value,
            f.resource_name or "(stack)",
            f.spec_path or "-",
            message,
        )
    return table


def renderable(report: Report) -> Group:
    parts: list[Table | Text] = []
    for stack in report.stacks:
        if stack.findings:
            parts.append(_stack_table(stack))
        else:
            parts.append(
                Text(
                    f"{stack.stack}: {stack.resources} resources, {stack.rules} rules: clean",
                    style="green",
                )
            )
        parts += [Text(f"  note: {n}", style="dim") for n in stack.notes]
    for note in report.waiver_notes:
        style = "bold red" if note.blocking else "yellow"
        parts.append(Text(f"waiver {note.problem}: {note.describe()}", style=style))
    counts = summary(report)
    verdict = "FAILED" if report.exit_code else "passed"
    parts.append(
        Text(
            f"{verdict}: {counts['violations']} violations, {counts['advisory']} advisory, "
            f"{counts['waived']} waived, {counts['expired_waivers']} expired waivers, "
            f"{counts['unused_waivers']} unused waivers, "
            f"{counts['expiring_waivers']} expiring waivers",
            style="bold red" if report.exit_code else "bold green",
        )
    )
    return Group(*parts)


def render(report: Report) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=160, highlight=False, color_system=None).print(renderable(report))
    return buffer.getvalue()
