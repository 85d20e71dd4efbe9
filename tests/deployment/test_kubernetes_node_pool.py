"""Kubernetes GPU nodes on spot with an on-demand base and fallback: the Karpenter
NodePools rendered for the shipped prod-k8s stack, validated against Karpenter's published
NodePool CRD schema (vendored with its commit), and the model server's pods able to land
on them (selector and toleration against the pools' labels and taints)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from inferplane.components.kubernetes.node_pool import CAPACITY_TYPE, POOL_LABEL
from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import model_server
from inferplane.errors import SpecError
from inferplane.plan.graph import Graph
from inferplane.spec import parse_spec
from inferplane.spec.targets.selfhosted import KubernetesTarget
from tests.conftest import stack_spec_data
from tests.deployment.test_kubernetes_scaling import KUBECONFIG, strict
from tests.support.recording import integral, record

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "karpenter" / "nodepool.schema.yaml"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@cache
def karpenter_schema() -> dict[str, Any]:
    """Karpenter's schema, strict (unknown fields fail). Its CEL rules
    (x-kubernetes-validations) are the API server's: jsonschema skips them."""
    schema: dict[str, Any] = strict(yaml.safe_load(SCHEMA.read_text()))
    return schema


def raw(**pool: Any) -> dict[str, Any]:
    data = stack_spec_data("prod-k8s")
    if pool:
        data["targets"]["llama-eks"]["node_pool"].update(pool)
    return data


def build(data: dict[str, Any]) -> Graph:
    spec = parse_spec(data, "prod-k8s", {"aws": "eu-central-1"})
    target = spec.targets["llama-eks"]
    assert isinstance(target, KubernetesTarget)
    return record(
        lambda: model_server("llama-eks", target, DeployContext(spec, "prod-k8s")),
        KUBECONFIG,
        secret_keys=list(KUBECONFIG),
    )


def pools(graph: Graph) -> dict[str, dict[str, Any]]:
    return {r.inputs["metadata"]["name"]: integral(r.inputs) for r in graph.by_type(NODE_POOL)}


def requirement(pool: dict[str, Any], key: str) -> list[str]:
    [found] = [r for r in pool["spec"]["template"]["spec"]["requirements"] if r["key"] == key]
    assert found["operator"] == "In"
    values: list[str] = found["values"]
    return values


def test_shipped_stack_pools_pass_karpenters_crd_schema() -> None:
    found = pools(build(raw()))
    assert set(found) == {"prod-k8s-llama-eks-base", "prod-k8s-llama-eks-spot"}
    for manifest in found.values():
        jsonschema.validate(manifest, karpenter_schema())
        assert manifest["apiVersion"] == "karpenter.sh/v1"
        assert "namespace" not in manifest["metadata"]  # NodePools are cluster-scoped


def test_base_is_on_demand_first_and_spot_falls_back_to_on_demand() -> None:
    found = pools(build(raw()))
    base, spot = found["prod-k8s-llama-eks-base"], found["prod-k8s-llama-eks-spot"]
    assert requirement(base, CAPACITY_TYPE) == ["on-demand"]
    assert requirement(spot, CAPACITY_TYPE) == ["spot", "on-demand"]
    # Karpenter fills the higher weight first, up to its limit: the base, then spot.
    assert (base["spec"]["weight"], spot["spec"]["weight"]) == (100, 10)
    assert base["spec"]["limits"] == {"nvidia.com/gpu": "1"}
    assert spot["spec"]["limits"] == {"nvidia.com/gpu": "4"}
    for pool in (base, spot):
        types = requirement(pool, "node.kubernetes.io/instance-type")
        assert types == ["g5.2xlarge", "g6.2xlarge"]
        assert requirement(pool, "kubernetes.io/arch") == ["amd64"]
        assert pool["spec"]["template"]["spec"]["nodeClassRef"] == {
            "group": "karpenter.k8s.aws",
            "kind": "EC2NodeClass",
            "name": "default",
        }
    assert base["spec"]["disruption"]["consolidationPolicy"] == "WhenEmpty"
    assert base["spec"]["template"]["spec"]["expireAfter"] == "Never"
    assert spot["spec"]["template"]["spec"]["expireAfter"] == "24h"
    assert spot["spec"]["disruption"]["budgets"] == [{"nodes": "1"}]


def test_the_model_servers_pods_land_only_on_the_pools() -> None:
    graph = build(raw())
    [deployment] = graph.by_type(DEPLOYMENT)
    pod = deployment.inputs["spec"]["template"]["spec"]
    for pool in pools(graph).values():
        template = pool["spec"]["template"]
        assert pod["nodeSelector"] == template["metadata"]["labels"]
        assert pod["nodeSelector"] == {POOL_LABEL: "prod-k8s-llama-eks"}
        for taint in template["spec"]["taints"]:
            assert any(
                t["key"] == taint["key"]
                and t["operator"] == "Exists"
                and t.get("effect") in (None, taint["effect"])
                for t in pod["tolerations"]
            )
    assert len(pod["tolerations"]) == 1  # the stack's own toleration, not doubled


def test_no_base_pool_without_an_on_demand_base() -> None:
    found = pools(build(raw(on_demand_base=0)))
    assert set(found) == {"prod-k8s-llama-eks-spot"}


def test_schema_rejects_what_karpenter_would() -> None:
    manifest = pools(build(raw()))["prod-k8s-llama-eks-spot"]
    broken = {**manifest, "spec": {**manifest["spec"], "weight": 101}}
    with pytest.raises(jsonschema.ValidationError, match="101"):
        jsonschema.validate(broken, karpenter_schema())
    template = manifest["spec"]["template"]
    spec = {**template["spec"], "taints": [{"key": "nvidia.com/gpu", "effect": "Sometimes"}]}
    broken = {**manifest, "spec": {**manifest["spec"], "template": {**template, "spec": spec}}}
    with pytest.raises(jsonschema.ValidationError, match="Sometimes"):
        jsonschema.validate(broken, karpenter_schema())
    spec = {k: v for k, v in template["spec"].items() if k != "nodeClassRef"}
    broken = {**manifest, "spec": {**manifest["spec"], "template": {**template, "spec": spec}}}
    with pytest.raises(jsonschema.ValidationError, match="nodeClassRef"):
        jsonschema.validate(broken, karpenter_schema())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["node_pool"].update(instance_types=["g5.2xlarge", "g6e.2xlarge"]),
            "same GPU count and memory per GPU",
        ),
        (
            lambda d: d.update(node_selector={"nvidia.com/gpu.product": "NVIDIA-A10G"}),
            "Karpenter cannot launch nodes for a label it does not know",
        ),
        (
            lambda d: d["cluster"].update(cloud="gcp", region="europe-west4"),
            "allowed: aws",
        ),
        (lambda d: d["node_pool"].update(on_demand_base=5), "above max_nodes 4"),
    ],
)
def test_the_spec_refuses_pools_karpenter_cannot_serve(edit: Any, message: str) -> None:
    data = raw()
    edit(data["targets"]["llama-eks"])
    with pytest.raises(SpecError, match=message):
        parse_spec(data, "prod-k8s", {"aws": "eu-central-1"})
