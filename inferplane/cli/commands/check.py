"""``inferplane check``: the policy rules over the offline plan of a stack, before deploy."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.output import console, err
from inferplane.cli.stacks import AsOfOpt, as_of_date, selected_stacks, validated, warn_advisories
from inferplane.errors import InferplaneError, StackNotFoundError
from inferplane.plan.render import OFFLINE_NOTICE
from inferplane.spec import find_project, load_stack, provider_regions

__all__ = ["register"]


class Format(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    junit = "junit"


def check(
    *,
    stack: Annotated[
        str | None, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<name>.yaml).")
    ] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in stacks/.")] = False,
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph",
            help="Check the graph written by `inferplane plan --json` instead of planning; "
            "the spec is read from the stack of the same name, when there is one.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    policy_config: Annotated[
        Path | None,
        typer.Option("--policy-config", help="Org policy file (YAML/JSON); default: built in."),
    ] = None,
    waivers: Annotated[
        Path | None, typer.Option("--waivers", help="Waiver file (YAML/JSON).")
    ] = None,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project", help="Project directory (default: search upward for Pulumi.yaml)."
        ),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Check stacks against the residency, reserved-capacity and safety rules.

    Exit 0: clean or advisory findings only; 1: a mandatory rule is violated or a waiver
    expired; 2: usage or input errors."""
    from policies.config import load_policy
    from policies.engine import Report, apply_waivers
    from policies.offline import check_graph, check_stack, load_graphs
    from policies.waivers import load_waivers

    today = as_of_date(as_of)
    org = load_policy(policy_config)
    accepted = load_waivers(waivers, max_days=org.waiver_max_days, today=today)
    started = time.perf_counter()
    planned = 0.0
    if graph is not None:
        if stack is not None or all_stacks:
            raise InferplaneError("give --graph FILE or --stack/--all, not both")
        root = find_project(project)
        reports = []
        for g in load_graphs(graph):
            try:
                stack_file = load_stack(root, g.stack, today)
                spec, regions = stack_file.spec, provider_regions(stack_file.config)
                warn_advisories(stack_file)
            except StackNotFoundError:
                spec, regions = None, {}
            reports.append(check_graph(g, spec, org, regions, today))
    else:
        root, stacks = selected_stacks(stack, all_stacks, project, today)
        validated(stacks)
        err.print(f"[yellow]{OFFLINE_NOTICE}[/]")
        reports = []
        for stack_file in stacks:
            warn_advisories(stack_file)
            with err.status(f"planning {stack_file.name} …"):
                stack_report, plan_seconds = check_stack(root, stack_file, org, today)
            planned += plan_seconds
            reports.append(stack_report)
    report = apply_waivers(Report(reports), accepted, today, org.waiver_warning_days)
    _emit(report, fmt, output)
    checked = time.perf_counter() - started - planned
    err.print(
        f"checked {len(reports)} stack(s) in {checked:.3f}s"
        + (f" after {planned:.2f}s of planning" if planned else "")
    )
    raise typer.Exit(report.exit_code)


def _emit(report: object, fmt: Format, output: Path | None) -> None:
    from policies.engine import Report
    from policies.report import render
    from policies.report.table_report import renderable

    assert isinstance(report, Report)
    if output is not None:
        output.write_text(render(report, fmt.value), encoding="utf-8")
        err.print(f"wrote {fmt.value} report to {output}")
        if fmt is not Format.table:
            return
    if fmt is Format.table:
        console.print(renderable(report))
    else:
        console.print(
            render(report, fmt.value), end="", markup=False, highlight=False, soft_wrap=True
        )


def register(app: typer.Typer) -> None:
    app.command()(check)
