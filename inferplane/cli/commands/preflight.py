"""``inferplane preflight``: before a deploy, ask AWS whether the stack can be deployed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from inferplane.cli.output import console
from inferplane.cli.stacks import selected_stacks
from inferplane.spec import provider_regions

if TYPE_CHECKING:
    from inferplane.preflight import AwsClients

__all__ = ["aws_clients", "register"]

Format = Literal["table", "json"]


def aws_clients(profile: str | None) -> AwsClients:
    """AWS clients for ``--profile`` (default: the environment's credential chain)."""
    import boto3

    from inferplane.errors import CredentialsMissingError
    from inferplane.preflight import AwsClients

    try:
        return AwsClients(boto3.session.Session(profile_name=profile))
    except Exception as exc:  # botocore.exceptions.ProfileNotFound
        raise CredentialsMissingError(f"AWS profile {profile!r}: {exc}") from exc


def preflight(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.")],
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: environment).")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
) -> None:
    """Check before a deploy: services, instance types, quotas, reservations, Bedrock models.

    Exits 1 when a check fails; could-not-check results are listed with the reason.
    """
    from inferplane.preflight import run_preflight
    from inferplane.preflight.render import report_table, summary

    _format(output)
    _, (stack_file,) = selected_stacks(stack, False, project)
    report = run_preflight(
        stack_file.spec, stack_file.name, provider_regions(stack_file.config), aws_clients(profile)
    )
    if output == "json":
        console.print_json(json.dumps(report.to_dict()))
    else:
        console.print(report_table(report, "preflight"))
        console.print(summary(report))
    if not report.ok:
        raise typer.Exit(1)


def _format(value: str) -> None:
    from inferplane.errors import InferplaneError

    if value not in ("table", "json"):
        raise InferplaneError(f"--format {value!r}: allowed: table, json")


def register(app: typer.Typer) -> None:
    app.command()(preflight)
