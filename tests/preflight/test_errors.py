"""No credentials and denied calls: clear errors naming what to set or which permission."""

from __future__ import annotations

import json

import boto3
import pytest

from inferplane.errors import CredentialsMissingError
from inferplane.preflight import AwsClients, run_preflight
from tests.preflight.conftest import HAIKU, FakeCapacity, fleet, spec_with


@pytest.fixture
def restricted_user(aws: None, monkeypatch: pytest.MonkeyPatch) -> boto3.session.Session:
    """A moto IAM user allowed only ssm:GetParameter, with IAM enforcement switched on."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="deployer")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "*"}],
    }
    iam.put_user_policy(UserName="deployer", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    # What moto's set_initial_no_auth_action_count(0) decorator does, as a fixture: from
    # here on every request is authenticated and checked against the user's policy.
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return session


def test_denied_call_names_the_missing_permission(
    restricted_user: boto3.session.Session, capacity: FakeCapacity
) -> None:
    spec = spec_with({"fleet": fleet()})
    report = run_preflight(spec, "t", {"aws": "us-east-1"}, AwsClients(restricted_user), capacity)
    (offered,) = report.of("service-offered", "fleet")
    assert offered.status == "pass"  # ssm:GetParameter is allowed
    (instance,) = report.of("ec2-instance-offered", "fleet")
    assert instance.status == "could-not-check"
    assert instance.reason.startswith("access denied: needs ec2:DescribeInstanceTypes")


@pytest.mark.usefixtures("no_aws_credentials")
def test_no_credentials_says_what_to_set(capacity: FakeCapacity) -> None:
    spec = spec_with({"claude": {"kind": "bedrock", "region": "us-east-1", "model": HAIKU}})
    with pytest.raises(CredentialsMissingError, match="set AWS_PROFILE") as info:
        run_preflight(
            spec, "t", {"aws": "us-east-1"}, AwsClients(boto3.session.Session()), capacity
        )
    assert "AWS_ACCESS_KEY_ID" in str(info.value)
