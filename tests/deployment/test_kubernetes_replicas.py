"""Spec -> ModelServer -> RouterConfig for the router's side of issue 16: a headless
Service the router resolves for prefix-aware replica choice, and ``cold`` for a model
server that scales to zero. Fixtures come from the real component under the recorder."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.routerconfig import endpoints_from_graph, render_router_config
from router.config import ColdStartConfig, ReplicaConfig, RouterConfig, Timeouts
from tests.deployment.test_kubernetes import build, raw_spec, spec_of
from tests.support.recording import one

PROMETHEUS = {
    "url": "http://prometheus-server.monitoring.svc:9090",
    "namespace": "monitoring",
    "pod_labels": {"app.kubernetes.io/name": "prometheus"},
}


def _router_config(raw: dict[str, Any]) -> RouterConfig:
    graph = build(raw)
    spec = spec_of(raw)
    return render_router_config(spec, "dev", endpoints_from_graph(graph, spec))


def test_prefix_routing_creates_the_headless_service_the_router_resolves() -> None:
    raw = raw_spec(replica_routing="prefix")
    graph = build(raw)
    services = {r.name: r.inputs for r in graph.by_type("kubernetes:core/v1:Service")}
    assert set(services) == {"llama-server-service", "llama-replicas-service"}
    headless = services["llama-replicas-service"]
    cluster = services["llama-server-service"]
    assert headless["metadata"]["name"] == "llama-replicas"
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == cluster["spec"]["selector"]
    assert headless["spec"]["ports"] == cluster["spec"]["ports"]
    deployment = one(graph, "kubernetes:apps/v1:Deployment").inputs
    assert headless["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]

    target = _router_config(raw).targets["llama"]
    port = int(cluster["spec"]["ports"][0]["port"])  # recorded inputs carry numbers as floats
    assert target.replicas == ReplicaConfig(
        dns="llama-replicas.inference.svc.cluster.local", port=port, path="/v1", policy="prefix"
    )
    assert target.url == f"http://llama.inference.svc.cluster.local:{port}/v1"
    assert target.cold is None


def test_service_routing_adds_nothing() -> None:
    raw = raw_spec()
    graph = build(raw)
    assert [r.name for r in graph.by_type("kubernetes:core/v1:Service")] == ["llama-server-service"]
    assert _router_config(raw).targets["llama"].replicas is None


def test_a_server_at_min_zero_is_a_cold_target_for_the_router() -> None:
    scaling = {"min": 0, "max": 3, "signal": "queue", "prometheus": PROMETHEUS}
    target = _router_config(raw_spec(scaling=scaling)).targets["llama"]
    assert target.cold == ColdStartConfig(warm_s=180, max_wait_s=360, idle_s=600)
    assert target.timeouts == Timeouts(first_byte=390, total=480)
    quick = _router_config(raw_spec(scaling={**scaling, "cold_start_s": 45})).targets["llama"]
    assert quick.cold == ColdStartConfig(warm_s=45, max_wait_s=90, idle_s=600)
    assert _router_config(raw_spec()).targets["llama"].timeouts == Timeouts()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"replica_routing": "prefix", "scaling": {"min": 1, "max": 1}}, "scaling.max >= 2"),
        ({"scaling": {"min": 1, "max": 2, "cold_start_s": 30}}, "allowed with min: 0"),
        ({"replica_routing": "sticky"}, "replica_routing"),
    ],
)
def test_the_spec_refuses(target: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_of(raw_spec(**target))
