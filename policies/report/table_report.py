"""The report as readable text (rich): findings per stack, one block each (status, rule,
resource, spec key, the finding and what to change), then waiver notes."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.text import Text

from policies.engine import Finding, Report, StackReport
from policies.report.summary import summary

__all__ = ["render", "renderable"]

STATUS_STYLE = {"violation": "bold red", "advisory": "yellow", "waived": "dim"}


ORDER = {"violation": 0, "advisory": 1, "waived": 2}


def _finding(f: Finding) -> Text:
    """One finding as a block that stays readable at any terminal width (wrapping only at
    spaces): what fired, on which resource, which spec key to change and how."""
    text = Text()
    text.append(f"{f.status:<9} ", style=STATUS_STYLE[f.status])
    text.append(f"{f.rule.id}", style="bold")
    text.append(f" {f.rule.name} ({f.rule.severity.value})\n")
    resource = f.resource_name or "(stack)"
    if f.resource_type:
        resource += f" ({f.resource_type})"
    lines = [("resource", resource), ("spec key", f.spec_path or "-"), ("finding", f.message)]
    if f.waiver is not None:
        lines.append(
            ("waived", f"{f.waiver.reason} ({f.waiver.approver}, until {f.waiver.expires})")
        )
    else:
        lines.append(("change", f.fix))
    for label, value in lines:
        text.append(f"  {label + ':':<10}", style="dim")
        text.append(f"{value}\n")
    return text


def _stack_findings(stack: StackReport) -> list[Text]:
    title = Text(
        f"{stack.stack}: {stack.resources} resources, {stack.rules} rules, "
        f"{stack.seconds * 1000:.0f} ms, {len(stack.findings)} finding(s)",
        style="bold",
    )
    ordered = sorted(
        stack.findings, key=lambda f: (ORDER[f.status], f.rule.id, f.resource_name or "")
    )
    return [title, *(_finding(f) for f in ordered)]


def renderable(report: Report) -> Group:
    parts: list[Text] = []
    for stack in report.stacks:
        if stack.findings:
            parts += _stack_findings(stack)
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
