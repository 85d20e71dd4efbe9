"""``inferplane preflight``: before a deploy, ask AWS whether the stack can be deployed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from inferplane.cli.reports import check_format, show_report
from inferplane.cli.stacks import selected_stacks
from inferplane.spec import provider_regions

if TYPE_CHECKING:
    from inferplane.preflight import AwsClients

__all__ = ["aws_clients", "register"]


def aws_clients(profile: str | None, endpoint_url: str | None = None) -> AwsClients:
    """AWS clients for ``--profile`` (default: the environment's credential chain), all
    sent to ``endpoint_url`` when given (a local moto server: ``moto_server -p 5000``)."""
    import boto3

    from inferplane.errors import CredentialsMissingError
    from inferplane.preflight import AwsClients

    try:
        return AwsClients(boto3.session.Session(profile_name=profile), endpoint_url)
    except Exception as exc:  # botocore.exceptions.ProfileNotFound
        raise CredentialsMissingError(f"AWS profile {profile!r}: {exc}") from exc


def preflight(
    *,
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.")],
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: environment).")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="Send every AWS call here, e.g. a local moto server (http://127.0.0.1:5000); "
            "AWS_ENDPOINT_URL does the same.",
        ),
    ] = None,
    hub_endpoint: Annotated[
        str | None,
        typer.Option(
            "--hub-endpoint",
            help="Hugging Face Hub to confirm checkpoints with (default: HF_ENDPOINT, else "
            "https://huggingface.co); HF_TOKEN is sent for private repos.",
        ),
    ] = None,
    azure_subscription: Annotated[
        str | None,
        typer.Option(
            "--azure-subscription",
            help="Subscription for the Azure checks (default: ARM_SUBSCRIPTION_ID); token "
            "from INFERPLANE_AZURE_TOKEN or `az account get-access-token`.",
        ),
    ] = None,
    azure_endpoint: Annotated[
        str | None,
        typer.Option("--azure-endpoint", help="ARM endpoint (default: management.azure.com)."),
    ] = None,
    gcp_project: Annotated[
        str | None,
        typer.Option(
            "--gcp-project",
            help="Project for the GCP checks (default: GOOGLE_CLOUD_PROJECT, else the stack's "
            "gcp:project); token from INFERPLANE_GCP_TOKEN or `gcloud auth print-access-token`.",
        ),
    ] = None,
    gcp_endpoint: Annotated[
        str | None,
        typer.Option(
            "--gcp-endpoint",
            help="Base URL for Cloud Quotas and Compute (default: the googleapis.com hosts).",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
) -> None:
    """Check before a deploy: services, instance types, quotas, reservations, Bedrock models,
    the Hugging Face checkpoints self-hosted targets download, Azure OpenAI models and
    Azure ML quotas, and GPU offering and quota for Vertex AI and Cloud Run.

    Exits 1 when a check fails; could-not-check results are listed with the reason.
    """
    from inferplane.preflight import run_preflight
    from inferplane.preflight.azure import LazyArmAzureApi
    from inferplane.preflight.gcp import LazyRestGcpApi
    from inferplane.preflight.hub import HttpHubApi

    check_format(output)
    _, (stack_file,) = selected_stacks(stack, False, project)
    report = run_preflight(
        stack_file.spec,
        stack_file.name,
        provider_regions(stack_file.config),
        aws_clients(profile, endpoint_url),
        hub=HttpHubApi(hub_endpoint),
        azure=LazyArmAzureApi(azure_subscription, azure_endpoint),
        gcp=LazyRestGcpApi(gcp_project, gcp_endpoint).with_default_project(
            stack_file.config.get("gcp:project")
        ),
    )
    show_report(report, output, "preflight")


def register(app: typer.Typer) -> None:
    app.command()(preflight)
