"""IP-SAF-012 / IP-SAF-013 (no silent per-replica router state in prod) over real offline
plans of the shipped stacks: the exact (rule, resource) pairs each planned or mutated
stack yields. The prod stacks on Lambda, Cloud Run, Container Apps and EKS pass because
the stack provisions their managed Redis (inferplane.deployment.router_state)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inferplane.plan import Graph
from tests.policies.wiring_world import config, findings, named, planned, set_config

RULES = ("IP-SAF-012", "IP-SAF-013")
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def memory_state(graph: Graph) -> None:
    data = config(graph)
    data.pop("state", None)  # the default: in process
    set_config(graph, data)


def redis_state(graph: Graph) -> None:
    data = config(graph)
    data["state"] = {"backend": "redis", "url": {"store": "env", "name": "REDIS_URL"}}
    set_config(graph, data)


def one_replica_in_memory(graph: Graph) -> None:
    memory_state(graph)
    named(graph, "router-workload-hpa", HPA).inputs["spec"]["maxReplicas"] = 1


def as_planned(_graph: Graph) -> None:
    return None


CASES: list[tuple[str, Callable[[Graph], None], set[tuple[str, str]]]] = [
    ("prod-us-east-1", as_planned, set()),  # Lambda in the fleet's VPC + ElastiCache
    ("prod-eu-central-1", as_planned, set()),  # Lambda in its own network + ElastiCache
    ("prod-europe-west4", as_planned, set()),  # Cloud Run + Memorystore
    ("prod-westeurope", as_planned, set()),  # Container Apps + Azure Cache for Redis
    ("prod-us-east-1", memory_state, {("IP-SAF-012", "router")}),
    ("prod-europe-west4", memory_state, {("IP-SAF-012", "router")}),
    ("prod-westeurope", memory_state, {("IP-SAF-012", "router")}),
    ("dev", as_planned, set()),  # state: memory, but not prod
    ("prod-k8s", as_planned, set()),  # HPA up to 3 on EKS + ElastiCache in its VPC
    ("prod-k8s", memory_state, {("IP-SAF-013", "router")}),
    ("prod-k8s", redis_state, set()),
    ("prod-k8s", one_replica_in_memory, set()),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "expected"),
    CASES,
    ids=[f"{s}-{m.__name__}" for s, m, _ in CASES],
)
def test_router_state_findings(
    stack: str, mutate: Callable[[Graph], None], expected: set[tuple[str, str]]
) -> None:
    graph = planned(stack)
    mutate(graph)
    assert findings(graph, RULES) == expected


def test_the_rendered_state_is_the_provisioned_store() -> None:
    """What the prod routers run with: the secret reference of the Redis the stack made."""
    states = {stack: config(planned(stack)).get("state") for stack in ("dev", "prod-westeurope")}
    assert states == {
        "dev": None,
        "prod-westeurope": {
            "backend": "redis",
            "url": {"store": "env", "name": "INFERPLANE_ROUTER_STATE_URL"},
        },
    }
    aws = config(planned("prod-us-east-1"))["state"]
    assert (aws["url"]["store"], aws["url"]["key"]) == ("aws_secretsmanager", "url")
    eks = config(planned("prod-k8s"))["state"]
    assert eks == {
        "backend": "redis",
        "url": {
            "store": "aws_secretsmanager",
            "name": "arn:aws:secretsmanager:eu-central-1:123456789012:secret/router-state-url",
            "key": "url",
        },
    }
    gcp = config(planned("prod-europe-west4"))["state"]
    assert {k: (v["store"], v["key"]) for k, v in gcp.items() if k != "backend"} == {
        "url": ("gcp_secretmanager", "url"),
        "ca": ("gcp_secretmanager", "ca"),
    }


def test_the_url_reaches_the_router_as_a_secret_and_its_enis_carry_the_client_group() -> None:
    [app] = [
        r
        for r in planned("prod-westeurope").resources
        if r.type == "azure-native:app:ContainerApp" and r.name == "router-app-app"
    ]
    assert app.inputs["configuration"]["secrets"] == [
        {"name": "inferplane-router-state-url", "value": "[secret]"}
    ]
    env = app.inputs["template"]["containers"][0]["env"]
    assert {
        "name": "INFERPLANE_ROUTER_STATE_URL",
        "secretRef": "inferplane-router-state-url",
    } in env
    assert all("value" not in e for e in env if e["name"] == "INFERPLANE_ROUTER_STATE_URL")
    function = named(planned("prod-eu-central-1"), "router-fn-function")
    assert function.inputs["vpcConfig"] == {
        "securityGroupIds": ["router-sg-id", "router-state-client-id"],
        "subnetIds": ["router-network-private-0-id", "router-network-private-1-id"],
    }
