"""IP-SAF-013: a prod Kubernetes router scaled beyond one replica keeps its state shared.

Mandatory: on EKS the stack provisions ElastiCache Serverless in the cluster's VPC
(``router.state`` auto or managed: ``inferplane.deployment.router_state.on_kubernetes``);
on another cluster the way out is naming a Redis (``router.redis``) the cluster's network
admits, or one replica."""

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
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "On EKS, leave `router.state` at `auto` or set `managed` (the stack provisions "
        "ElastiCache Serverless in the cluster's VPC); elsewhere name a Redis the cluster "
        "reaches with `router.redis` (a secret location of its URL), or run one replica "
        "(`router.replicas: 1`)."
    ),
    check=check,
)
