"""A narrow adapter in front of the AWS APIs moto does not implement: capacity
reservations, Service Quotas values for EC2/SageMaker, and Bedrock model and inference
profile listings. Checks depend on the ``CapacityApi`` protocol; tests give them a fake,
production gives them ``Boto3CapacityApi``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from inferplane.preflight.aws import AwsClients, call, error_code

__all__ = ["Boto3CapacityApi", "CapacityApi", "FoundationModel", "Reservation"]


@dataclass(frozen=True)
class Reservation:
    """An EC2 On-Demand Capacity Reservation."""

    id: str
    instance_type: str
    availability_zone: str
    state: str
    total: int
    available: int
    end_date: dt.datetime | None = None


@dataclass(frozen=True)
class FoundationModel:
    id: str
    inference_types: tuple[str, ...]
    """``ON_DEMAND``, ``PROVISIONED``, ``INFERENCE_PROFILE``."""
    lifecycle: str | None = None
    """``modelLifecycle.status``: ``ACTIVE`` or ``LEGACY`` (None: not reported)."""


class CapacityApi(Protocol):
    def ec2_quota(self, region: str, quota_code: str) -> float | None:
        """The applied (else default) value of an EC2 quota; None if unknown."""

    def sagemaker_quota(self, region: str, quota_name: str) -> float | None:
        """The value of the SageMaker quota named ``quota_name``; None if absent."""

    def capacity_reservations(self, region: str, ids: tuple[str, ...]) -> dict[str, Reservation]:
        """The reservations among ``ids`` that exist, by ID."""

    def foundation_models(self, region: str) -> dict[str, FoundationModel]:
        """Bedrock foundation models offered in ``region``, by model ID."""

    def inference_profiles(self, region: str) -> frozenset[str]:
        """IDs of the system inference profiles callable from ``region``."""


class Boto3CapacityApi:
    """``CapacityApi`` on real AWS."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def ec2_quota(self, region: str, quota_code: str) -> float | None:
        client = self.clients.client("service-quotas", region)
        for method in ("get_service_quota", "get_aws_default_service_quota"):
            try:
                reply = call(client, method, ServiceCode="ec2", QuotaCode=quota_code)
            except Exception as exc:
                if error_code(exc) == "NoSuchResourceException":
                    continue
                raise
            return float(reply["Quota"]["Value"])
        return None

    def sagemaker_quota(self, region: str, quota_name: str) -> float | None:
        client = self.clients.client("service-quotas", region)
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"ServiceCode": "sagemaker"}
            if token:
                kwargs["NextToken"] = token
            reply = call(client, "list_service_quotas", **kwargs)
            for quota in reply.get("Quotas", []):
                if quota.get("QuotaName") == quota_name:
                    return float(quota["Value"])
            token = reply.get("NextToken")
            if not token:
                return None

    def capacity_reservations(self, region: str, ids: tuple[str, ...]) -> dict[str, Reservation]:
        client = self.clients.client("ec2", region)
        found: dict[str, Reservation] = {}
        # One call per ID: a single unknown ID fails a batched call for all of them.
        for rid in ids:
            try:
                reply = call(client, "describe_capacity_reservations", CapacityReservationIds=[rid])
            except Exception as exc:
                if error_code(exc).startswith("InvalidCapacityReservationId"):
                    continue
                raise
            for item in reply.get("CapacityReservations", []):
                found[item["CapacityReservationId"]] = Reservation(
                    id=item["CapacityReservationId"],
                    instance_type=item["InstanceType"],
                    availability_zone=item["AvailabilityZone"],
                    state=item["State"],
                    total=int(item["TotalInstanceCount"]),
                    available=int(item["AvailableInstanceCount"]),
                    end_date=item.get("EndDate"),
                )
        return found

    def foundation_models(self, region: str) -> dict[str, FoundationModel]:
        client = self.clients.client("bedrock", region)
        reply = call(client, "list_foundation_models")
        return {
            m["modelId"]: FoundationModel(
                m["modelId"],
                tuple(m.get("inferenceTypesSupported", ())),
                (m.get("modelLifecycle") or {}).get("status"),
            )
            for m in reply.get("modelSummaries", [])
        }

    def inference_profiles(self, region: str) -> frozenset[str]:
        client = self.clients.client("bedrock", region)
        ids: set[str] = set()
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"typeEquals": "SYSTEM_DEFINED"}
            if token:
                kwargs["nextToken"] = token
            reply = call(client, "list_inference_profiles", **kwargs)
            ids.update(p["inferenceProfileId"] for p in reply.get("inferenceProfileSummaries", []))
            token = reply.get("nextToken")
            if not token:
                return frozenset(ids)
