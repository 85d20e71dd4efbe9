"""Run every verify check on the stack's targets and router, with timings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from types import ModuleType

from inferplane.preflight.aws import AwsClients
from inferplane.preflight.context import subjects
from inferplane.preflight.result import CheckResult, Report, timed
from inferplane.spec import StackSpec
from inferplane.verify.checks import lambda_function, router_chat, router_health, sagemaker_endpoint
from inferplane.verify.context import RouterAccess, VerifyContext
from inferplane.verify.outputs import StackOutputs

__all__ = ["CHECKS", "run_verify"]

CHECKS: tuple[ModuleType, ...] = (sagemaker_endpoint, lambda_function, router_health, router_chat)


def run_verify(
    spec: StackSpec,
    stack: str,
    outputs: StackOutputs,
    provider_regions: Mapping[str, str],
    *,
    router: RouterAccess | None = None,
    clients: AwsClients | None = None,
) -> Report:
    ctx = VerifyContext(spec, outputs, clients or AwsClients(), router or RouterAccess())
    return Report(stack, tuple(_results(ctx, provider_regions)))


def _results(ctx: VerifyContext, provider_regions: Mapping[str, str]) -> Iterator[CheckResult]:
    for subject in subjects(ctx.spec, provider_regions):
        for check in CHECKS:
            if check.applies(ctx, subject):
                yield from timed(check.NAME, subject.name, partial(check.run, ctx, subject))
