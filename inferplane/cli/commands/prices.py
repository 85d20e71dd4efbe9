"""``inferplane prices``: which prices the stacks need, which the table has, and fetching
the missing ones from primary sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from inferplane.cli.output import console, err
from inferplane.cli.stacks import selected_stacks
from inferplane.errors import InferplaneError

__all__ = ["register"]


def prices(
    *,
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Stack name.")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in stacks/.")] = False,
    override: Annotated[
        Path | None, typer.Option("--prices", help="Your price file, laid over the table.")
    ] = None,
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch",
            help="Fetch the prices primary sources publish (EC2 and SageMaker hosting: AWS "
            "Price List API, needs AWS credentials; Azure VMs: Retail Prices API) into --out.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Price file --fetch writes.")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile for --fetch.")] = None,
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
) -> None:
    """List every price the stacks' estimates look up and whether the table has it; with
    --fetch, fetch what primary sources publish into a price file for `cost --prices`."""
    from inferplane.cost.prices import prices_with
    from inferplane.cost.refresh import needed_prices
    from inferplane.cost.refresh.fetch import FETCHABLE, fetch_prices, write_price_file

    if fetch and out is None:
        raise InferplaneError("--fetch needs --out FILE (the price file to write)")
    table = prices_with(override)
    _, stacks = selected_stacks(stack, all_stacks, project)
    keys = needed_prices(stacks, table)
    view = Table(title=f"prices the estimates look up (table as of {table.as_of})")
    for column in ("service", "sku", "region", "unit", "term", "in table", "source online"):
        view.add_column(column)
    for k in keys:
        online = FETCHABLE.get((k.service, k.unit), "-")
        view.add_row(
            k.service, k.sku, k.region, k.unit, k.term, "yes" if k.found else "MISSING", online
        )
    console.print(view)
    missing = sum(not k.found for k in keys)
    console.print(f"{len(keys)} prices looked up, {missing} missing from the table")
    if not fetch or out is None:
        return

    def pricing_client() -> object:
        from inferplane.cli.commands.preflight import aws_clients

        return aws_clients(profile).client("pricing", "us-east-1")

    fetched = fetch_prices(keys, pricing_client)
    for f in fetched:
        line = f"{f.key.service} {f.key.sku} {f.key.region}: "
        line += f"${f.usd}/h ({f.note})" if f.usd is not None else f.note
        (console if f.usd is not None else err).print(line)
    written = write_price_file(out, fetched, dt.date.today())
    console.print(f"wrote {written} price(s) to {out}; use: inferplane cost --prices {out}")


def register(app: typer.Typer) -> None:
    app.command()(prices)
