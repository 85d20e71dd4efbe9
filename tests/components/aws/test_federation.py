"""GoogleFederatedRole: an AWS role only the router's Google service account assumes."""

from __future__ import annotations

import json

import pytest

from inferplane.components.aws.federation import (
    GoogleFederatedRole,
    GoogleFederatedRoleArgs,
    grant_statements,
    trust_policy,
)
from inferplane.components.wiring import Grant
from tests.support.recording import only, record, refusal

LAMBDA = "arn:aws:lambda:eu-central-1:123456789012:function:tool"
GRANTS = [
    Grant(
        cloud="aws",
        actions=["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"],
        resources=[LAMBDA],
        condition={"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
    ),
    Grant(cloud="gcp", actions=["roles/aiplatform.user"], resources=["projects/p"]),
]


def _role(grants: list[Grant], unique_id: str = "112233445566778899001") -> object:
    return GoogleFederatedRole(
        "fed", GoogleFederatedRoleArgs("router-gcp", unique_id, grants, {"owner": "ml"})
    )


def test_trusts_one_service_account_and_grants_exactly_the_aws_grants() -> None:
    graph = record(lambda: _role(GRANTS))
    role = only(graph, "aws:iam/role:Role").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"accounts.google.com:aud": "112233445566778899001"}},
        }
    ]
    policy = json.loads(only(graph, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "Grant0",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
            "Resource": [LAMBDA],
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
        }
    ]


@pytest.mark.parametrize(
    ("grants", "message"),
    [
        (GRANTS[1:], "no AWS grant"),
        ([Grant(cloud="aws", actions=["bedrock:InvokeModel"], resources=["*"])], "name exact ARNs"),
        ([Grant(cloud="aws", actions=["bedrock:InvokeModel"], resources=[])], "name exact ARNs"),
    ],
)
def test_refuses_grants_that_would_allow_nothing_or_too_much(
    grants: list[Grant], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        grant_statements(grants)


def test_refuses_to_trust_anything_but_a_numeric_account_id() -> None:
    with pytest.raises(ValueError, match="not a numeric service account ID"):
        trust_policy("router@p.iam.gserviceaccount.com")


def test_refuses_a_bad_role_name() -> None:
    error, graph = refusal(
        lambda: GoogleFederatedRole("fed", GoogleFederatedRoleArgs("bad name!", "1", GRANTS))
    )
    assert "role_name 'bad name!' is not allowed" in str(error)
    assert graph.resources == []
