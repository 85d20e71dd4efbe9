"""IAM policy documents: statements that never carry a bare ``*`` resource, except for the
few actions AWS only authorises on ``*`` (``WILDCARD_ONLY_ACTIONS``), and service trust
policies."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

__all__ = ["WILDCARD_ONLY_ACTIONS", "Statement", "assume_role_policy", "policy_document"]

# Actions whose only valid resource is "*" (IAM service authorization reference).
WILDCARD_ONLY_ACTIONS = frozenset({"ecr:GetAuthorizationToken"})


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement."""

    actions: tuple[str, ...]
    """IAM actions, e.g. ``("bedrock:InvokeModel",)``."""
    resources: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Resource ARNs; a bare ``*`` is refused unless every action is wildcard-only."""
    sid: str | None = None
    """Statement ID (letters and digits)."""
    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny."""
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """IAM condition block: operator -> key -> value(s)."""
    principals: Mapping[str, Any] = field(default_factory=dict)
    """Principal block, for resource policies (bucket policies)."""

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError("statement actions: empty; name at least one IAM action")
        resources = self.resources
        wildcard = isinstance(resources, (list, tuple)) and "*" in resources
        if wildcard and not set(self.actions) <= WILDCARD_ONLY_ACTIONS:
            raise ValueError(
                f"statement resources: '*' for {', '.join(self.actions)}; name the ARNs"
                f" (only {', '.join(sorted(WILDCARD_ONLY_ACTIONS))} may use '*')"
            )

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "Effect": self.effect,
            "Action": list(self.actions),
            "Resource": self.resources,
        }
        if self.sid:
            doc["Sid"] = self.sid
        if self.principals:
            doc["Principal"] = dict(self.principals)
        if self.conditions:
            doc["Condition"] = {k: dict(v) for k, v in self.conditions.items()}
        return doc


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The JSON policy document of ``statements`` (ARNs may be outputs)."""
    return pulumi.Output.json_dumps(
        {"Version": "2012-10-17", "Statement": [s.document() for s in statements]}
    )


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service (``lambda.amazonaws.com``...) assume a role."""
    trust = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [trust]})
