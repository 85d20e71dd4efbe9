"""Each AWS service a target (or the router) uses is offered in its region, from the SSM
public parameters ``/aws/service/global-infrastructure/regions/<region>/services/<svc>``."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult

__all__ = ["NAME", "SERVICES", "applies", "run"]

NAME = "service-offered"
SERVICES: dict[str, tuple[str, ...]] = {
    "bedrock": ("bedrock",),
    "sagemaker": ("sagemaker",),
    "sagemaker_serverless": ("sagemaker",),
    "lambda": ("lambda", "bedrock"),
    "gpu_fleet": ("ec2", "autoscaling", "elb"),
    "router:lambda": ("lambda",),
}
"""SSM service names each subject kind needs (``elb`` covers Application Load Balancers)."""

PATH = "/aws/service/global-infrastructure/regions/{region}/services/{service}"


def applies(subject: Subject) -> bool:
    return subject.kind in SERVICES and subject.region is not None


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    region = str(subject.region)
    missing = [s for s in SERVICES[subject.kind] if not _offered(ctx, region, s)]
    services = ", ".join(SERVICES[subject.kind])
    if missing:
        yield CheckResult(
            NAME, subject.name, "fail", f"not offered in {region}: {', '.join(missing)}"
        )
    else:
        yield CheckResult(NAME, subject.name, "pass", f"{services} offered in {region}")


def _offered(ctx: PreflightContext, region: str, service: str) -> bool:
    def lookup() -> bool:
        try:
            ctx.aws(
                "ssm", region, "get_parameter", Name=PATH.format(region=region, service=service)
            )
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return False
            raise
        return True

    return bool(ctx.memo(("ssm-service", region, service), lookup))
