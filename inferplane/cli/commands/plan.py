"""``inferplane plan``: the real program, offline, under the mock runtime."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import RenderableType

from inferplane.cli.output import console, err
from inferplane.cli.stacks import AsOfOpt, as_of_date, selected_stacks, validated, warn_advisories
from inferplane.plan import Graph, run_program
from inferplane.plan.render import OFFLINE_NOTICE, counts_table, resource_tree
from inferplane.spec import StackFile, provider_regions

__all__ = ["register"]

StackOpt = Annotated[
    str | None, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<name>.yaml).")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every stack in stacks/.")]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", help="Project directory (default: search upward for Pulumi.yaml)."),
]


def plan(
    *,
    stack: StackOpt = None,
    all_stacks: AllOpt = False,
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Write the whole graph (type, name, parent, provider, dependencies and "
            "inputs of every resource) to FILE.",
        ),
    ] = None,
    tree: Annotated[
        bool, typer.Option("--tree/--no-tree", help="Print the component tree.")
    ] = True,
    cost: Annotated[
        bool, typer.Option("--cost/--no-cost", help="Print the monthly cost estimate.")
    ] = True,
    project: ProjectOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Run the Pulumi program offline for a stack and print its resource graph."""
    root, stacks = selected_stacks(stack, all_stacks, project, as_of_date(as_of))
    validated(stacks)
    err.print(f"[yellow]{OFFLINE_NOTICE}[/]")
    graphs: list[Graph] = []
    for stack_file in stacks:
        warn_advisories(stack_file)
        started = time.perf_counter()
        with err.status(f"planning {stack_file.name} …"):
            graph = run_program(root, stack_file)
        elapsed = time.perf_counter() - started
        graphs.append(graph)
        if tree:
            console.print(resource_tree(graph))
        console.print(counts_table(graph))
        if cost and stack_file.spec_or_none is not None:  # the estimate reads the spec
            console.print(_cost_view(stack_file))
        console.print(
            f"[green]planned[/] {stack_file.name}: {len(graph.resources)} resources, "
            f"{len(graph.invokes)} invokes in {elapsed:.2f}s"
        )
    if json_file is not None:
        payload = (
            graphs[0].to_dict()
            if len(graphs) == 1
            else {"offline_synthesis": True, "stacks": [g.to_dict() for g in graphs]}
        )
        json_file.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
        console.print(f"wrote {json_file}")


def _cost_view(stack_file: StackFile) -> RenderableType:
    from inferplane.cost import estimate_stack
    from inferplane.cost.render import estimate_view

    return estimate_view(
        estimate_stack(stack_file.spec, stack_file.name, provider_regions(stack_file.config))
    )


def register(app: typer.Typer) -> None:
    app.command()(plan)
