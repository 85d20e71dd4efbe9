"""Run every preflight check on every subject it applies to.

A denied call makes that one check could-not-check (naming the missing permission) and
the run goes on; missing credentials stop the run, since no check could succeed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from types import ModuleType

from inferplane.preflight.adapter import Boto3CapacityApi, CapacityApi
from inferplane.preflight.aws import AwsClients
from inferplane.preflight.azure import AzureApi, LazyArmAzureApi
from inferplane.preflight.checks import (
    azure_ml_quota,
    azure_openai_model,
    bedrock_models,
    capacity_reservation,
    ec2_instance_offered,
    gcp_gpu,
    gpu_quota,
    hf_checkpoint,
    outside_aws,
    sagemaker_instance,
    service_offered,
)
from inferplane.preflight.context import PreflightContext, subjects
from inferplane.preflight.gcp import GcpApi, LazyRestGcpApi
from inferplane.preflight.hub import HttpHubApi, HubApi
from inferplane.preflight.result import CheckResult, Report, timed
from inferplane.spec import StackSpec

__all__ = ["CHECKS", "run_preflight"]

CHECKS: tuple[ModuleType, ...] = (
    outside_aws,
    service_offered,
    ec2_instance_offered,
    sagemaker_instance,
    gpu_quota,
    capacity_reservation,
    bedrock_models,
    hf_checkpoint,
    azure_openai_model,
    azure_ml_quota,
    gcp_gpu,
)


def run_preflight(
    spec: StackSpec,
    stack: str,
    provider_regions: Mapping[str, str],
    clients: AwsClients | None = None,
    capacity: CapacityApi | None = None,
    *,
    hub: HubApi | None = None,
    azure: AzureApi | None = None,
    gcp: GcpApi | None = None,
) -> Report:
    clients = clients or AwsClients()
    ctx = PreflightContext(
        spec,
        clients,
        capacity or Boto3CapacityApi(clients),
        hub or HttpHubApi(),
        azure or LazyArmAzureApi(),
        gcp or LazyRestGcpApi(),
    )
    return Report(stack, tuple(_results(ctx, provider_regions)))


def _results(ctx: PreflightContext, provider_regions: Mapping[str, str]) -> Iterator[CheckResult]:
    for subject in subjects(ctx.spec, provider_regions):
        for check in CHECKS:
            if check.applies(subject):
                yield from timed(check.NAME, subject.name, partial(check.run, ctx, subject))
