"""The IAM policy that lets the router's AWS identity (a Lambda's role, an EKS pod's role)
call exactly the AWS targets' grants (exact ARNs, conditions kept), never ``*``."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi

from inferplane.components.wiring import Grant

__all__ = ["invoke_policy"]


def invoke_policy(grants: pulumi.Input[Sequence[Grant]]) -> pulumi.Output[str]:
    """The policy document allowing ``grants``."""
    from inferplane.components.aws.wiring import grant_statements

    return pulumi.Output.from_input(grants).apply(
        lambda found: json.dumps(
            {"Version": "2012-10-17", "Statement": grant_statements(found)}, sort_keys=True
        )
    )
