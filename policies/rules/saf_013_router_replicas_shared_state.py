"""IP-SAF-013: a prod Kubernetes router scaled beyond one replica keeps its state shared.

Advisory: the stack does not provision a Redis for a router in a cluster yet, so the way
out is naming one (``router.redis``), which the cluster's network must admit."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import (
    Context,
    Enforcement,
    Severity,
    Stack,
    StackRule,
    Violation,
)
from inferplane.policies.rules.saf_012_router_shared_state import per_replica_state, scaled_out


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    return per_replica_state(stack, ctx, scaled_out)


RULE = StackRule(
    id="IP-SAF-013",
    name="router-replicas-shared-state",
    description=(
        "In prod, a router whose autoscaler may run more than one replica (Kubernetes "
        "HPA maximum above 1) has shared state: `state.backend: redis`."
    ),
    severity=Severity.MEDIUM,
    family="safety",
    enforcement=Enforcement.ADVISORY,
    remediation=(
        "Name a Redis the cluster reaches with `router.redis` (a secret location of its "
        "URL), or run one replica (`router.replicas: 1`)."
    ),
    check=check,
)
