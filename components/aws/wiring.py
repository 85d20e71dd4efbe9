"""What AWS targets publish for the wiring contract (docs/wiring.md), and the IAM
statements a caller's role gets from those grants.

One place for the AWS rows of the wiring table: each target component builds its
``auth``/``reach``/``grants`` here, and the router turns the targets' ``grants`` into its
role's policy with ``grant_statements``, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from inferplane.components.wiring import Grant, Reach

__all__ = [
    "BEDROCK_ACTIONS",
    "LAMBDA_URL_CONDITION",
    "SAGEMAKER_ACTIONS",
    "aws_grant",
    "bedrock_grants",
    "cloud_api",
    "grant_statements",
    "lambda_url_grants",
    "sigv4",
]

BEDROCK_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SAGEMAKER_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
LAMBDA_URL_CONDITION: dict[str, dict[str, str]] = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
"""Function URLs created since October 2025 authorise ``lambda:InvokeFunction`` too; this
condition keeps that grant to calls through the URL (AWS Lambda docs, "Control access to
function URLs")."""


def sigv4(service: str) -> dict[str, Any]:
    """``router.config.TargetAuth`` (as a dict) for SigV4 with signing ``service``."""
    return {"scheme": "sigv4", "service": service}


def cloud_api(service: str) -> Reach:
    """Reached on an AWS API host: the internet or an interface endpoint for ``service``."""
    return Reach(path="cloud_api", service=service)


def aws_grant(
    actions: Sequence[str],
    resources: Sequence[str],
    condition: Mapping[str, Mapping[str, str]] | None = None,
) -> Grant:
    grant = Grant(cloud="aws", actions=list(actions), resources=list(resources))
    if condition:
        grant["condition"] = {op: dict(keys) for op, keys in condition.items()}
    return grant


def bedrock_grants(
    direct: Sequence[str], profile: str | None = None, via_profile: Sequence[str] = ()
) -> list[Grant]:
    """Invoke on the model / provisioned model / profile ARNs, and on the foundation
    models a profile routes to only through that profile."""
    grants = [aws_grant(BEDROCK_ACTIONS, direct)]
    if profile is not None and via_profile:
        grants.append(
            aws_grant(
                BEDROCK_ACTIONS,
                via_profile,
                {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
            )
        )
    return grants


def lambda_url_grants(function_arn: str) -> list[Grant]:
    """Both grants an ``AWS_IAM`` function URL needs from its caller."""
    return [
        aws_grant(("lambda:InvokeFunctionUrl",), [function_arn]),
        aws_grant(("lambda:InvokeFunction",), [function_arn], LAMBDA_URL_CONDITION),
    ]


def grant_statements(grants: Sequence[Grant]) -> list[dict[str, Any]]:
    """IAM statements allowing exactly the AWS ``grants``: one statement per set of
    (actions, condition), over the union of their exact ARNs. Non-AWS grants are not
    IAM's to give and are skipped; a wildcard ARN is refused."""
    merged: dict[tuple[tuple[str, ...], str], set[str]] = {}
    for grant in grants:
        if grant["cloud"] != "aws":
            continue
        for arn in grant["resources"]:
            if "*" in arn or not arn.startswith("arn:"):
                raise ValueError(
                    f"grants: resource {arn!r} for {', '.join(grant['actions'])} is not an"
                    " exact ARN; a target grants its callers named ARNs only"
                )
        key = (tuple(sorted(set(grant["actions"]))), json.dumps(grant.get("condition") or {}))
        merged.setdefault(key, set()).update(grant["resources"])
    statements: list[dict[str, Any]] = []
    for index, ((actions, condition), resources) in enumerate(sorted(merged.items())):
        statement: dict[str, Any] = {
            "Sid": f"{_sid(actions)}{index}",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": sorted(resources),
        }
        if condition != "{}":
            statement["Condition"] = json.loads(condition)
        statements.append(statement)
    return statements


def _sid(actions: Sequence[str]) -> str:
    """``Bedrock``, ``Sagemaker``, ``Lambda``: the service of the statement's actions."""
    services = sorted({action.split(":", 1)[0] for action in actions})
    return "".join(s.title() for s in services if s.isalnum()) or "Invoke"
