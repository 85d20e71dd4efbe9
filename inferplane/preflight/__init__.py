"""Preflight: before ``pulumi up``, ask AWS whether the stack can be deployed as written --
services offered in the region, instance types offered in the region and zones, quota
headroom, capacity reservations, Bedrock models -- each check reporting pass, fail or
could-not-check with the reason."""

from __future__ import annotations

from inferplane.preflight.adapter import Boto3CapacityApi, CapacityApi, FoundationModel, Reservation
from inferplane.preflight.aws import AwsClients
from inferplane.preflight.result import CheckResult, Report, Status
from inferplane.preflight.runner import CHECKS, run_preflight

__all__ = [
    "CHECKS",
    "AwsClients",
    "Boto3CapacityApi",
    "CapacityApi",
    "CheckResult",
    "FoundationModel",
    "Report",
    "Reservation",
    "Status",
    "run_preflight",
]
