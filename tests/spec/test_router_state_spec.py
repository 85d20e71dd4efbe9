"""``router.state``, ``router.admin_key`` and key budgets in the spec, and what they render
into the RouterConfig (issue 15: operator features, managed state)."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.routerconfig import render_router_config
from inferplane.spec import StackSpec, parse_spec
from tests.conftest import stack_spec_data


def _spec(stack: str, **router: Any) -> StackSpec:
    data = stack_spec_data(stack)
    data["router"].update(router)
    return parse_spec(data, "test", {"aws": "eu-central-1", "gcp": "europe-west4"})


def _endpoints(spec: StackSpec) -> dict[str, Any]:
    return {name: {"backend": "openai", "url": f"https://{name}/v1"} for name in spec.targets}


@pytest.mark.parametrize(
    ("stack", "router", "managed"),
    [
        ("prod-eu-central-1", {}, True),  # Lambda scales out by itself: auto provisions
        ("prod-eu-central-1", {"state": "memory"}, False),
        ("prod-eu-central-1", {"redis": {"store": "env", "name": "REDIS_URL"}}, False),
        ("prod-europe-west4", {"replicas": 1}, True),  # Cloud Run adds instances itself
        ("prod-k8s", {}, True),  # 3 replicas on EKS: the stack provisions ElastiCache
        ("prod-k8s", {"state": "auto", "replicas": 1}, False),
        ("prod-k8s", {"state": "memory"}, False),
        ("prod-k8s", {"state": "managed", "replicas": 1}, True),
        ("dev", {}, False),  # dev says state: memory
        ("dev", {"state": "managed"}, True),
    ],
)
def test_when_the_stack_provisions_the_routers_redis(
    stack: str, router: dict[str, Any], managed: bool
) -> None:
    assert _spec(stack, **router).router.managed_state() is managed


@pytest.mark.parametrize(
    ("stack", "router", "message"),
    [
        ("prod-k8s", {"platform": "edge", "state": "managed"}, "no managed Redis is provisioned"),
        (
            "prod-eu-central-1",
            {"state": "managed", "redis": {"store": "env", "name": "R"}},
            "state 'managed' and redis exclude each other",
        ),
    ],
)
def test_impossible_state_is_refused_naming_why(
    stack: str, router: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError) as raised:
        _spec(stack, **router)
    assert message in str(raised.value)


def test_admin_key_turns_the_admin_api_and_auth_on_and_budgets_render() -> None:
    data = stack_spec_data("dev")
    data["router"]["keys"][0]["budget_usd"] = 25.0
    data["router"]["admin_key"] = {"store": "aws_secretsmanager", "name": "router-admin"}
    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    config = render_router_config(spec, "dev", _endpoints(spec))
    assert config.admin.api_key is not None
    assert config.admin.api_key.model_dump() == {
        "store": "aws_secretsmanager",
        "name": "router-admin",
        "key": None,
    }
    assert [(k.id, k.budget_usd) for k in config.keys] == [
        ("app-backend", 25.0),
        ("app-public", None),
    ]
    # Without spec keys, the admin API's keys still need auth on.
    data["router"]["keys"] = []
    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    assert render_router_config(spec, "dev", _endpoints(spec)).auth_required is True
    del data["router"]["admin_key"]
    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    config = render_router_config(spec, "dev", _endpoints(spec))
    assert (config.auth_required, config.admin.api_key) == (False, None)
