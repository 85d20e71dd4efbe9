"""``inferplane cost``: monthly estimates from the dated price table and the forecast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.output import console
from inferplane.cli.stacks import selected_stacks
from inferplane.errors import InferplaneError
from inferplane.spec import provider_regions

__all__ = ["register"]


def cost(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Stack name.")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in stacks/.")] = False,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            help="Your own price file (same format as the shipped table); its prices "
            "take precedence, the shipped table fills the rest.",
        ),
    ] = None,
) -> None:
    """Estimate monthly cost per target and stack; commitments with break-even and saving.

    Unknown prices are shown as unknown and never added as zero.
    """
    from inferplane.cost import estimate_stack
    from inferplane.cost.prices import prices_with
    from inferplane.cost.render import estimate_view

    if output not in ("table", "json"):
        raise InferplaneError(f"--format {output!r}: allowed: table, json")
    table = prices_with(prices)
    _, stacks = selected_stacks(stack, all_stacks, project)
    estimates = [estimate_stack(s.spec, s.name, provider_regions(s.config), table) for s in stacks]
    if output == "json":
        payload = {
            "prices_as_of": table.as_of,
            "sources": {k: v.url for k, v in table.sources.items()},
            "stacks": [e.to_dict() for e in estimates],
        }
        console.print_json(json.dumps(payload))
        return
    for estimate in estimates:
        console.print(estimate_view(estimate))
        console.print()


def register(app: typer.Typer) -> None:
    app.command()(cost)
