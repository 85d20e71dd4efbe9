"""Boto3CapacityApi against botocore's Stubber: moto implements none of these APIs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from inferplane.errors import AccessDeniedError
from inferplane.preflight import AwsClients, Boto3CapacityApi, FoundationModel

REGION = "us-east-1"


class StubbedClients(AwsClients):
    def __init__(self) -> None:
        session = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION
        )
        super().__init__(session)
        self.stubbers: dict[str, Stubber] = {}

    def stub(self, service: str) -> Stubber:
        stubber = Stubber(self.client(service, REGION))
        stubber.activate()
        self.stubbers[service] = stubber
        return stubber


@pytest.fixture
def clients() -> Iterator[StubbedClients]:
    clients = StubbedClients()
    yield clients
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()


def _quota(value: float) -> dict[str, Any]:
    return {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-DB2E81BA", "Value": value}}


def test_ec2_quota_falls_back_to_the_default(clients: StubbedClients) -> None:
    stub = clients.stub("service-quotas")
    stub.add_client_error("get_service_quota", "NoSuchResourceException")
    stub.add_response("get_aws_default_service_quota", _quota(64.0))
    assert Boto3CapacityApi(clients).ec2_quota(REGION, "L-DB2E81BA") == 64.0


def test_ec2_quota_unknown_is_none(clients: StubbedClients) -> None:
    stub = clients.stub("service-quotas")
    stub.add_client_error("get_service_quota", "NoSuchResourceException")
    stub.add_client_error("get_aws_default_service_quota", "NoSuchResourceException")
    assert Boto3CapacityApi(clients).ec2_quota(REGION, "L-DB2E81BA") is None


def test_denied_quota_call_names_the_permission(clients: StubbedClients) -> None:
    clients.stub("service-quotas").add_client_error("get_service_quota", "AccessDeniedException")
    with pytest.raises(AccessDeniedError, match=r"servicequotas:GetServiceQuota"):
        Boto3CapacityApi(clients).ec2_quota(REGION, "L-DB2E81BA")


def test_sagemaker_quota_pages_until_found(clients: StubbedClients) -> None:
    stub = clients.stub("service-quotas")
    stub.add_response(
        "list_service_quotas",
        {
            "Quotas": [{"QuotaName": "ml.g5.xlarge for endpoint usage", "Value": 2}],
            "NextToken": "n",
        },
    )
    stub.add_response(
        "list_service_quotas",
        {"Quotas": [{"QuotaName": "ml.g5.2xlarge for endpoint usage", "Value": 4}]},
        {"ServiceCode": "sagemaker", "NextToken": "n"},
    )
    api = Boto3CapacityApi(clients)
    assert api.sagemaker_quota(REGION, "ml.g5.2xlarge for endpoint usage") == 4


def test_capacity_reservations_skip_unknown_ids(clients: StubbedClients) -> None:
    stub = clients.stub("ec2")
    stub.add_response(
        "describe_capacity_reservations",
        {
            "CapacityReservations": [
                {
                    "CapacityReservationId": "cr-1",
                    "InstanceType": "g5.2xlarge",
                    "AvailabilityZone": "us-east-1a",
                    "State": "active",
                    "TotalInstanceCount": 2,
                    "AvailableInstanceCount": 1,
                    "EndDate": dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
                }
            ]
        },
        {"CapacityReservationIds": ["cr-1"]},
    )
    stub.add_client_error("describe_capacity_reservations", "InvalidCapacityReservationId.NotFound")
    found = Boto3CapacityApi(clients).capacity_reservations(REGION, ("cr-1", "cr-2"))
    assert list(found) == ["cr-1"]
    assert found["cr-1"].available == 1


def test_foundation_models_and_profiles(clients: StubbedClients) -> None:
    stub = clients.stub("bedrock")
    stub.add_response(
        "list_foundation_models",
        {
            "modelSummaries": [
                {
                    "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/m",
                    "modelId": "m",
                    "inferenceTypesSupported": ["ON_DEMAND"],
                }
            ]
        },
    )
    profile = {
        "inferenceProfileName": "p",
        "inferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/us.m",
        "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/m"}],
        "inferenceProfileId": "us.m",
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }
    stub.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [profile], "nextToken": "t"},
    )
    stub.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [{**profile, "inferenceProfileId": "eu.m"}]},
        {"typeEquals": "SYSTEM_DEFINED", "nextToken": "t"},
    )
    api = Boto3CapacityApi(clients)
    assert api.foundation_models(REGION) == {"m": FoundationModel("m", ("ON_DEMAND",))}
    assert api.inference_profiles(REGION) == frozenset({"us.m", "eu.m"})
