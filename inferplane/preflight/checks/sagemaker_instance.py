"""A SageMaker endpoint's instance type is one SageMaker knows (botocore's enum) and, where
it can be told, is offered in the region.

SageMaker publishes no per-region instance list to an API; it hosts ``ml.<type>`` on the
hardware of EC2 ``<type>``, so an EC2 type with no offering in the region is a strong sign
SageMaker lacks it there too. The reason says when that inference was used.
"""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code
from inferplane.preflight.checks.ec2_instance_offered import offered_zones
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult
from inferplane.spec.targets import SageMakerTarget

__all__ = ["NAME", "applies", "run"]

NAME = "sagemaker-instance-type"


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, SageMakerTarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    assert isinstance(subject.target, SageMakerTarget)
    instance_type, region = subject.target.instance_type, subject.target.region
    if instance_type not in ctx.botocore_sagemaker_instance_types:
        yield CheckResult(
            NAME,
            subject.name,
            "fail",
            f"{instance_type} is not a SageMaker endpoint instance type (botocore's "
            "ProductionVariantInstanceType)",
        )
        return
    ec2_type = instance_type.removeprefix("ml.")
    try:
        ctx.aws("ec2", region, "describe_instance_types", InstanceTypes=[ec2_type])
    except Exception as exc:
        if error_code(exc) != "InvalidInstanceType":
            raise
        yield CheckResult(
            NAME,
            subject.name,
            "could-not-check",
            f"{instance_type} is valid; regional availability unknown ({ec2_type} has no "
            "EC2 equivalent to infer it from)",
        )
        return
    if offered_zones(ctx, region, ec2_type):
        yield CheckResult(
            NAME,
            subject.name,
            "pass",
            f"{instance_type} is valid; {ec2_type} hardware is offered in {region}",
        )
    else:
        yield CheckResult(
            NAME,
            subject.name,
            "fail",
            f"{instance_type}: EC2 offers no {ec2_type} in {region}, so SageMaker has no "
            "such hardware there",
        )
