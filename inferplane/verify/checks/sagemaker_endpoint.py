"""A SageMaker target's endpoint exists and is InService."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code, error_message
from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import VerifyContext

__all__ = ["NAME", "applies", "run"]

NAME = "sagemaker-endpoint"


def applies(ctx: VerifyContext, subject: Subject) -> bool:
    return subject.kind in ("sagemaker", "sagemaker_serverless")


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    endpoint = ctx.outputs.targets.get(subject.name, {}).get("endpoint_name")
    if not endpoint:
        yield CheckResult(
            NAME, subject.name, "could-not-check", "the outputs name no endpoint_name for it"
        )
        return
    try:
        reply = ctx.aws(
            "sagemaker", str(subject.region), "describe_endpoint", EndpointName=endpoint
        )
    except Exception as exc:
        if error_code(exc) == "ValidationException":
            yield CheckResult(NAME, subject.name, "fail", f"{endpoint}: {error_message(exc)}")
            return
        raise
    status = reply["EndpointStatus"]
    if status == "InService":
        yield CheckResult(NAME, subject.name, "pass", f"{endpoint} is InService")
        return
    reason = reply.get("FailureReason")
    yield CheckResult(
        NAME, subject.name, "fail", f"{endpoint} is {status}" + (f": {reason}" if reason else "")
    )
