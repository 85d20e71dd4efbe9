"""Run every preflight check on every subject it applies to.

A denied call makes that one check could-not-check (naming the missing permission) and
the run goes on; missing credentials stop the run, since no check could succeed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from types import ModuleType

from inferplane.errors import AccessDeniedError, CloudAccessError, CredentialsMissingError
from inferplane.preflight.adapter import Boto3CapacityApi, CapacityApi
from inferplane.preflight.aws import AwsClients
from inferplane.preflight.checks import (
    bedrock_models,
    capacity_reservation,
    ec2_instance_offered,
    gpu_quota,
    outside_aws,
    sagemaker_instance,
    service_offered,
)
from inferplane.preflight.context import PreflightContext, subjects
from inferplane.preflight.result import CheckResult, Report
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
)


def run_preflight(
    spec: StackSpec,
    stack: str,
    provider_regions: Mapping[str, str],
    clients: AwsClients | None = None,
    capacity: CapacityApi | None = None,
) -> Report:
    clients = clients or AwsClients()
    ctx = PreflightContext(spec, clients, capacity or Boto3CapacityApi(clients))
    return Report(stack, tuple(_results(ctx, provider_regions)))


def _results(ctx: PreflightContext, provider_regions: Mapping[str, str]) -> Iterator[CheckResult]:
    for subject in subjects(ctx.spec, provider_regions):
        for check in CHECKS:
            if not check.applies(subject):
                continue
            started = time.perf_counter()
            try:
                results = list(check.run(ctx, subject))
            except CredentialsMissingError:
                raise
            except AccessDeniedError as exc:
                results = [CheckResult(check.NAME, subject.name, "could-not-check", str(exc))]
            except CloudAccessError as exc:
                results = [CheckResult(check.NAME, subject.name, "could-not-check", str(exc))]
            elapsed = (time.perf_counter() - started) * 1000
            for result in results:
                yield CheckResult(
                    result.check, result.subject, result.status, result.reason, elapsed
                )
