"""A model server scaled to zero on Kubernetes is woken by the router's demand, planned for
real (prod-k8s as a dev stack at ``min: 0``): the router opens its operator port to the
server's Prometheus only, the ScaledObject gets a second trigger on the router's
``target_cold`` counter, and the query names exactly what the router exports."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inferplane.components.kubernetes.autoscaling import WAKE_METRIC
from inferplane.errors import SpecError
from inferplane.plan import Graph, run_program
from inferplane.router.config import RouterConfig
from inferplane.router.contract import METRICS_PORT
from inferplane.spec import SPEC_KEY, StackFile, load_stack
from tests.deployment.test_kubernetes_scaling import keda_schema
from tests.support.recording import integral

ROOT = Path(__file__).resolve().parents[2]


def _dev_at_zero(**router: Any) -> StackFile:
    stack = load_stack(ROOT, "prod-k8s")
    config = copy.deepcopy(stack.config)
    spec = config[SPEC_KEY]
    spec["environment"] = "dev"
    spec["targets"]["llama-eks"]["scaling"]["min"] = 0
    spec["router"].update(router)
    return replace(stack, name="dev-k8s", config=config)


@cache
def planned() -> Graph:
    return run_program(ROOT, _dev_at_zero())


def _one(type_: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in planned().by_type(type_) if r.name == name]
    inputs: dict[str, Any] = integral(found.inputs)
    return inputs


def test_the_scaled_object_wakes_on_the_routers_demand() -> None:
    scaled = _one("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-eks-server-scaled-object")
    jsonschema.validate(scaled, keda_schema())
    assert scaled["spec"]["minReplicaCount"] == 0
    engine, wake = scaled["spec"]["triggers"]
    # At zero replicas no pod publishes the engine metric: no series is "no load" there.
    assert engine["metadata"]["ignoreNullValues"] == "true"
    assert wake["name"] == "router-demand"
    assert wake["metadata"] == {
        "serverAddress": "http://prometheus-server.monitoring.svc:9090",
        "query": f'sum(increase({WAKE_METRIC}{{namespace="llm",target="llama-eks",'
        'outcome="target_cold"}[2m]))',
        "threshold": "1000000",
        "activationThreshold": "0",
        "ignoreNullValues": "false",
    }


def test_the_router_opens_its_operator_port_to_that_prometheus_only() -> None:
    files = _one("kubernetes:core/v1:ConfigMap", "router-workload-files")["data"]
    config = RouterConfig.from_json(files["router.json"])
    assert (config.admin.port, config.admin.host) == (METRICS_PORT, "0.0.0.0")
    assert config.admin.keys == ()
    deployment = _one("kubernetes:apps/v1:Deployment", "router-workload-deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"} in container[
        "ports"
    ]
    policy = _one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "router-workload-network-policy")
    serving, metrics = policy["spec"]["ingress"]
    prometheus = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    }
    assert metrics == {"ports": [{"port": METRICS_PORT, "protocol": "TCP"}], "from": [prometheus]}
    assert prometheus not in serving["from"]


def test_the_shipped_prod_stack_keeps_the_port_closed() -> None:
    graph = run_program(ROOT, load_stack(ROOT, "prod-k8s"))
    (files,) = [
        r
        for r in graph.by_type("kubernetes:core/v1:ConfigMap")
        if r.name == "router-workload-files"
    ]
    assert RouterConfig.from_json(files.inputs["data"]["router.json"]).admin.port is None


def test_nothing_could_wake_a_server_without_a_router_on_its_cluster() -> None:
    stack = _dev_at_zero()
    spec = stack.config[SPEC_KEY]
    spec["router"] = {
        "platform": "lambda",
        "keys": spec["router"]["keys"],
    }
    with pytest.raises(SpecError) as caught:
        stack.spec  # noqa: B018
    paths = [i.path for i in caught.value.issues]
    assert "targets.llama-eks.scaling.min" in paths
    (issue,) = [i for i in caught.value.issues if i.path == "targets.llama-eks.scaling.min"]
    assert "nothing would wake it" in issue.message


def test_the_wake_query_selects_what_the_router_exports() -> None:
    """The other side of the seam: the router's exposition has exactly the metric name and
    labels the query selects (router/metrics.py renders them)."""
    from inferplane.router.metrics import Metrics

    metrics = Metrics()
    metrics.attempt("llama-eks", "target_cold")
    text = metrics.render().decode()
    scaled = _one("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-eks-server-scaled-object")
    query = scaled["spec"]["triggers"][1]["metadata"]["query"]
    selected = dict(re.findall(r'(\w+)="([^"]*)"', query))
    line = next(x for x in text.splitlines() if x.startswith(WAKE_METRIC + "{"))
    exported = dict(re.findall(r'(\w+)="([^"]*)"', line))
    # namespace is added by Prometheus's kubernetes_sd relabelling, not by the router.
    assert {k: v for k, v in selected.items() if k != "namespace"} == exported
