"""Argument checks of the AWS components against botocore's service model and AWS's fixed
value lists; each refusal names the argument, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from inferplane.catalog.aws_limits import LOG_RETENTION_DAYS

__all__ = [
    "LOG_RETENTION_DAYS",
    "botocore_enum",
    "check_choice",
    "check_range",
    "check_region",
]


@cache
def botocore_enum(service: str, shape: str) -> frozenset[str]:
    """The allowed values of an enum shape in botocore's model of ``service``."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = getattr(model.shape_for(shape), "enum", [])
    return frozenset(values)


def check_region(key: str, region: str) -> None:
    """Refuse a region no AWS partition has."""
    import boto3

    session = boto3.session.Session()
    known = {
        r
        for partition in ("aws", "aws-us-gov", "aws-cn")
        for r in session.get_available_regions("ec2", partition_name=partition)
    }
    if region not in known:
        raise ValueError(f"{key}: {region!r} is not an AWS region")


def check_choice(key: str, value: object, allowed: Sequence[object] | frozenset[str]) -> None:
    """Refuse a value outside ``allowed`` (a long list is shown by its start)."""
    if value not in allowed:
        shown = ", ".join(map(str, sorted(allowed, key=str)))
        if len(allowed) > 12:
            shown = f"one of botocore's {len(allowed)} values, e.g. {shown[:80]}..."
        raise ValueError(f"{key}: {value!r} is not allowed; allowed: {shown}")


def check_range(key: str, value: int, low: int, high: int) -> None:
    """Refuse a value outside ``low..high``."""
    if not low <= value <= high:
        raise ValueError(f"{key}: {value} is out of range; allowed: {low}..{high}")
