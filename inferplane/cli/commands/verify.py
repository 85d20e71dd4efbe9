"""``inferplane verify``: after a deploy, check the stack's endpoints and its router."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.commands.preflight import aws_clients
from inferplane.cli.reports import check_format, show_report
from inferplane.cli.stacks import selected_stacks
from inferplane.spec import provider_regions

__all__ = ["register"]


def verify(
    *,
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.")],
    outputs: Annotated[
        Path, typer.Option("--outputs", help="`pulumi stack output --json` saved to a file.")
    ],
    api_key: Annotated[
        str | None,
        typer.Option(envvar="INFERPLANE_API_KEY", help="Router API key (or INFERPLANE_API_KEY)."),
    ] = None,
    sign: Annotated[
        bool | None,
        typer.Option(
            "--sign/--no-sign",
            help="SigV4-sign router requests (default: when the router is a Lambda function "
            "URL with IAM auth).",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model of the test chat request.")] = None,
    timeout: Annotated[float, typer.Option(help="Router request timeout, seconds.")] = 60.0,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: environment).")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
) -> None:
    """Check a deployed stack: endpoints InService, functions Active, the router answering.

    Exits 1 when a check fails.
    """
    from inferplane.verify import RouterAccess, load_outputs, run_verify

    check_format(output)
    _, (stack_file,) = selected_stacks(stack, False, project)
    spec, regions = stack_file.spec, provider_regions(stack_file.config)
    router = spec.router
    if sign is None:
        sign = router.platform == "lambda" and not router.public
    region = router.region or regions.get("aws")
    access = RouterAccess(
        api_key=api_key,
        sign_region=region if sign else None,
        model=model,
        timeout_s=timeout,
    )
    report = run_verify(
        spec,
        stack_file.name,
        load_outputs(outputs),
        regions,
        router=access,
        clients=aws_clients(profile),
    )
    show_report(report, output, "verify")


def register(app: typer.Typer) -> None:
    app.command()(verify)
