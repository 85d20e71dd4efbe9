"""What every AWS target kind shares: the cloud name, instance-type checks against
botocore's service models, and the S3 URI shape."""

from __future__ import annotations

import re
from functools import cache

from inferplane.spec.targets.base import CloudTarget

__all__ = ["EC2_INSTANCE", "S3_URI", "SAGEMAKER_INSTANCE", "AwsTarget", "known_type"]

S3_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/[A-Za-z0-9!_.*()/-]*)?$"
SAGEMAKER_INSTANCE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
EC2_INSTANCE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


@cache
def _botocore_enum(service: str, shape: str) -> frozenset[str]:
    """Allowed values of an enum in botocore's model of ``service`` (moves with botocore)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = getattr(model.shape_for(shape), "enum", [])
    return frozenset(values)


def known_type(value: str, service: str, shape: str) -> str:
    """``value`` if botocore's ``service`` model lists it under ``shape``; else a ValueError."""
    if value not in _botocore_enum(service, shape):
        raise ValueError(f"{value!r} is not a {service} instance type known to botocore")
    return value


class AwsTarget(CloudTarget):
    """A target hosted in one AWS region."""

    CLOUD = "aws"
