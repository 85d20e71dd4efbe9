"""IP-SAF-013: a prod Kubernetes router scaled beyond one replica keeps its state shared.

Mandatory: on EKS the stack provisions ElastiCache Serverless in the cluster's VPC
(``router.state`` auto or managed: ``inferplane.deployment.router_state.on_kubernetes``);
on another cluster the way out is naming a Redis (``router.redis``) the cluster's network
admits, or one replica."""

from __future__ import annotations

from inferplane.policies.replicas import scaled_out, shared_state_rule

RULE = shared_state_rule(
    id="IP-SAF-013",
    name="router-replicas-shared-state",
    description=(
        "In prod, a router whose autoscaler may run more than one replica (Kubernetes "
        "HPA maximum above 1) has shared state: `state.backend: redis`."
    ),
    remediation=(
        "On EKS, leave `router.state` at `auto` or set `managed` (the stack provisions "
        "ElastiCache Serverless in the cluster's VPC); elsewhere name a Redis the cluster "
        "reaches with `router.redis` (a secret location of its URL), or run one replica "
        "(`router.replicas: 1`)."
    ),
    replicas=scaled_out,
)
