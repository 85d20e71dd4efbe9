"""IP-SAF-012: a prod router on a platform that adds instances by itself keeps its state
shared (the stack provisions the managed Redis unless the spec opted out)."""

from __future__ import annotations

from inferplane.policies.replicas import scales_by_itself, shared_state_rule

RULE = shared_state_rule(
    id="IP-SAF-012",
    name="router-shared-state",
    description=(
        "In prod, a router on Lambda, Cloud Run or Container Apps (platforms that add "
        "instances by themselves) has shared state: `state.backend: redis` in its "
        "rendered RouterConfig."
    ),
    remediation=(
        "Leave `router.state` at `auto` (the stack provisions ElastiCache Serverless, "
        "Memorystore or Azure Cache for Redis in the router's network), or name a Redis "
        "with `router.redis`."
    ),
    replicas=scales_by_itself,
)
