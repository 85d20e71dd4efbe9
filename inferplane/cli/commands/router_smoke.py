"""``inferplane router smoke --stack NAME``: the packaged router against loopback fakes of
every target, with the stack's RouterConfig as the deployment renders it (only target
URLs/endpoints moved to the fakes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.output import console, err
from inferplane.cli.stacks import selected_stacks
from inferplane.errors import InferplaneError

__all__ = ["register", "smoke"]

CONTAINER_PLATFORMS = ("cloud_run", "container_app", "kubernetes", "edge")


def smoke(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Stack name.")] = None,
    zip_path: Annotated[
        Path | None,
        typer.Option("--zip", help="A Lambda zip built for this machine (default: build one)."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="Probe with this client key of the stack (default: every key of the stack "
            "gets a fresh secret for the run, keeping its data classes and routes).",
        ),
    ] = None,
    project: Annotated[Path | None, typer.Option("--project", help="Project directory.")] = None,
) -> None:
    """Send a chat and a stream on every route and data class (and to every target) through
    the packaged router, against fakes that enforce each target's wire protocol and auth."""
    from inferplane.packaging import default_cache
    from inferplane.plan import run_program
    from inferplane.routerconfig import endpoints_from_graph, stack_router_config
    from inferplane.smoke import run_smoke
    from inferplane.smoke.packaged import LambdaZipRouter, host_zip
    from inferplane.spec import provider_regions

    if stack is None:
        raise InferplaneError("--stack NAME is required")
    started = time.perf_counter()
    root, (stack_file,) = selected_stacks(stack, False, project)
    spec = stack_file.spec
    with err.status(f"planning {stack} offline for its targets' endpoints …"):
        graph = run_program(root, stack_file)
    regions = provider_regions(stack_file.config)
    config = stack_router_config(spec, stack, endpoints_from_graph(graph, spec), regions)
    package = zip_path or host_zip(
        root, root / "build" / "smoke", default_cache(root), lambda m: err.print(f"[dim]•[/] {m}")
    )
    if spec.router.platform in CONTAINER_PLATFORMS:
        err.print(
            f"[yellow]note[/] the router runs as an image on {spec.router.platform}; the smoke "
            "runs the same router package from the Lambda zip"
        )
    with err.status(f"smoke {stack}: packaged router {package.name} against loopback fakes …"):
        report = run_smoke(
            stack, config, lambda env: LambdaZipRouter(package, env), api_key=api_key
        )
    _print(report)
    err.print(
        f"{len(report.outcomes)} probes in {report.seconds:.1f}s "
        f"({time.perf_counter() - started:.1f}s with the plan)"
    )
    if not report.ok:
        raise typer.Exit(1)


def _print(report: object) -> None:
    from rich.table import Table

    from inferplane.smoke import SmokeReport

    assert isinstance(report, SmokeReport)
    table = Table(title=f"router smoke: {report.stack}")
    for column in ("route", "data class", "kind", "target", "result"):
        table.add_column(column)
    for o in report.outcomes:
        mark = "[green]ok[/]" if o.ok else f"[red]fail[/] {o.detail}"
        kind = "stream" if o.probe.stream else "chat"
        table.add_row(o.probe.route, o.probe.data_class, kind, o.target or "-", mark)
    console.print(table)
    for leak in report.leaks:
        console.print(f"[red]residency[/] {leak}")
    for line in (*report.problems, *report.issuer_refusals):
        console.print(f"[yellow]note[/] {line}")
    costs = ", ".join(f"{t} ${c:.6f}" for t, c in sorted(report.cost_usd.items()) if c)
    if costs:
        console.print(f"cost (router access log): {costs}")


def register(app: typer.Typer) -> None:
    """A subcommand of ``inferplane router`` (the group lives in ``router.py``)."""
    from inferplane.cli.commands.router import router_app

    router_app.command("smoke")(smoke)
