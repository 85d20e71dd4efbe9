from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from inferplane.spec import parse_spec
from tests.verify.fake_router import FakeRouter, serve

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
REGION = "us-east-1"

SPEC: dict[str, Any] = {
    "environment": "prod",
    "owner": "ml-platform",
    "cost_center": "cc-1",
    "residency": {"zone": "us", "regions": {"aws": [REGION]}},
    "data_classes": {"public": {"placement": "any"}},
    "targets": {
        "claude": {"kind": "bedrock", "region": REGION, "model": HAIKU},
        "mistral-sm": {
            "kind": "sagemaker",
            "region": REGION,
            "model": "Qwen/Qwen2.5-1.5B-Instruct",
            "instance_type": "ml.g4dn.xlarge",
        },
        "summarize-fn": {"kind": "lambda", "region": REGION, "model": HAIKU},
    },
    "routes": [{"name": "default", "targets": ["claude", "mistral-sm"]}],
    "router": {"platform": "lambda"},
}


@pytest.fixture
def spec() -> Any:
    return parse_spec(copy.deepcopy(SPEC), "test", {"aws": REGION})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
    with mock_aws():
        yield


@pytest.fixture
def router() -> Iterator[FakeRouter]:
    with serve(FakeRouter()) as fake:
        yield fake


def create_endpoint(name: str) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/sagemaker"
    sm.create_model(
        ModelName=f"{name}-model", ExecutionRoleArn=role, PrimaryContainer={"Image": "tgi"}
    )
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": f"{name}-model",
                "InstanceType": "ml.g4dn.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def create_function(name: str) -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
