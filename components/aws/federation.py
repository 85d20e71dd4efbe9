"""Cross-cloud identity, GCP -> AWS: an IAM role a Google service account (the router on
Cloud Run) assumes with its Google ID token, holding exactly the AWS targets' grants.

The trust policy names the identity provider ``accounts.google.com`` (built into AWS STS,
no OIDC provider resource needed) and pins the token to one service account:
``accounts.google.com:aud`` is the token's ``azp`` claim, which Google sets to the account's
numeric unique ID (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
The router calls ``sts:AssumeRoleWithWebIdentity`` with that token (docs/wiring.md,
"Across clouds"); no AWS key exists anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from inferplane.components.wiring import Grant

__all__ = [
    "GOOGLE_ISSUER",
    "GoogleFederatedRole",
    "GoogleFederatedRoleArgs",
    "grant_statements",
    "trust_policy",
]

GOOGLE_ISSUER = "accounts.google.com"
MAX_SESSION_S = 3600
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True)
class GoogleFederatedRoleArgs:
    role_name: str
    """IAM role name (at most 64 of letters, digits and ``+=,.@_-``)."""
    google_unique_id: pulumi.Input[str]
    """Numeric unique ID of the Google service account allowed to assume the role."""
    grants: pulumi.Input[Sequence[Grant]]
    """What the role may do: the AWS targets' grants (``cloud: aws``), verbatim."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``)."""


class GoogleFederatedRole(pulumi.ComponentResource):
    """An IAM role trusting one Google service account, granted the AWS targets' grants."""

    role_arn: pulumi.Output[str]
    """What the router assumes (``TargetAuth.role_arn``)."""

    def __init__(
        self, name: str, args: GoogleFederatedRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not _ROLE_NAME.match(args.role_name):
            raise ValueError(
                f"role_name {args.role_name!r} is not allowed; use 1-64 letters, digits and +=,.@_-"
            )
        super().__init__("inferplane:aws:GoogleFederatedRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="inferplane router on Cloud Run: assumed with its Google ID token",
            assume_role_policy=pulumi.Output.from_input(args.google_unique_id).apply(trust_policy),
            max_session_duration=MAX_SESSION_S,
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-grants",
            role=role.name,
            policy=pulumi.Output.from_input(args.grants).apply(
                lambda grants: json.dumps(
                    {"Version": "2012-10-17", "Statement": grant_statements(grants)},
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def trust_policy(unique_id: str) -> str:
    """Only the Google service account ``unique_id`` may assume the role, by web identity."""
    if not unique_id.isdigit():
        raise ValueError(f"google_unique_id {unique_id!r} is not a numeric service account ID")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": GOOGLE_ISSUER},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{GOOGLE_ISSUER}:aud": unique_id}},
                }
            ],
        },
        sort_keys=True,
    )


def grant_statements(grants: Sequence[Grant]) -> list[dict[str, Any]]:
    """One IAM statement per AWS grant: its actions on exactly its ARNs, with its condition."""
    aws_grants = [g for g in grants if g["cloud"] == "aws"]
    if not aws_grants:
        raise ValueError("grants: no AWS grant; the federated role would allow nothing")
    statements: list[dict[str, Any]] = []
    for i, grant in enumerate(aws_grants):
        if not grant["resources"] or "*" in grant["resources"]:
            raise ValueError(f"grants[{i}].resources {grant['resources']!r}: name exact ARNs")
        statement: dict[str, Any] = {
            "Sid": f"Grant{i}",
            "Effect": "Allow",
            "Action": sorted(grant["actions"]),
            "Resource": sorted(grant["resources"]),
        }
        if "condition" in grant:
            statement["Condition"] = grant["condition"]
        statements.append(statement)
    return statements
