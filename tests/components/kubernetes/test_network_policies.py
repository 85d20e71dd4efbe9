"""Kubernetes exposure (issue 19): each namespace denies all traffic by default, the router
admits only its own and the declared namespaces and reaches only its model servers and the
cluster DNS, and model servers admit only the router. Built from the real renderers and the
real KubernetesRouter under the recording engine; every object passes the strict schema."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, cast

import pulumi
import pytest

from inferplane.components.base import Labels
from inferplane.components.kubernetes.manifests import (
    KUBERNETES_VERSION,
    ROUTER_POD_LABELS,
    model_server_manifests,
)
from inferplane.components.kubernetes.model_server import ModelServer
from inferplane.components.kubernetes.workload_spec import CidrEgress, Workload
from inferplane.components.router.kubernetes import KubernetesRouter, KubernetesRouterArgs
from inferplane.components.router.kubernetes import _workload as router_workload
from tests.components.kubernetes.test_manifests import config
from tests.components.kubernetes.test_model_server import args, manifest_of
from tests.support.recording import record

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IMAGE = "ghcr.io/example/inferplane-router:1@sha256:" + "ab" * 32
DNS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
HTTPS_INTERNET = {
    "to": [
        {
            "ipBlock": {
                "cidr": "0.0.0.0/0",
                "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"],
            }
        }
    ],
    "ports": [{"port": 443, "protocol": "TCP"}],
}


def _policies(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == "NetworkPolicy"}


def test_namespace_comes_with_a_default_deny_for_both_directions() -> None:
    manifests = model_server_manifests(config())
    assert [m["kind"] for m in manifests[:2]] == ["Namespace", "NetworkPolicy"]
    assert manifests[1]["metadata"]["name"] == "default-deny"
    assert manifests[1]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(
    ("changes", "egress"),
    [
        ({"cache": "pvc"}, [DNS, HTTPS_INTERNET]),  # downloads its weights
        ({"cache": "hostpath", "cache_read_only": True}, [DNS]),  # preloaded: no internet
    ],
)
def test_model_server_egress_is_dns_and_only_the_downloads_it_needs(
    changes: dict[str, Any], egress: list[dict[str, Any]]
) -> None:
    policy = _policies(model_server_manifests(config(**changes)))["llama"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["egress"] == egress
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": dict(ROUTER_POD_LABELS)}}],
            "ports": [{"port": 8000, "protocol": "TCP"}],
        }
    ]


def _router_graph(**more: Any) -> Any:
    def program() -> None:
        server = ModelServer("llama", args())
        KubernetesRouter(
            "router",
            KubernetesRouterArgs(
                config_json='{"stack": "test"}',
                labels=Labels("prod", "ml", "cc", "eu", "confidential", "router"),
                image=IMAGE,
                provider=server.provider,
                namespace=server.namespace,
                targets=[server.router_peer],
                **more,
            ),
            opts=pulumi.ResourceOptions(providers=[server.provider]),
        )

    return record(program)


def _router_policy(graph: Any) -> dict[str, Any]:
    [policy] = [r for r in graph.by_type(POLICY) if r.name == "router-workload-network-policy"]
    spec: dict[str, Any] = manifest_of(policy)["spec"]
    return spec


def test_finding_router_no_longer_admits_every_pod_in_the_cluster() -> None:
    # Old main: the router's ingress rule had no "from": any pod (and any address).
    policy = _router_policy(_router_graph(callers=["ingress-nginx"]))
    assert policy["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "inference"}
                    }
                },
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
                    }
                },
            ],
            "ports": [{"port": 8088, "protocol": "TCP"}],
        }
    ]


def test_router_egress_is_its_model_servers_port_and_dns_only() -> None:
    graph = _router_graph()
    policy = _router_policy(graph)
    [server] = [
        r
        for r in graph.by_type("kubernetes:apps/v1:Deployment")
        if r.name == "llama-server-deployment"
    ]
    selector = server.inputs["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["egress"] == [
        DNS,
        {
            "to": [{"podSelector": {"matchLabels": selector}}],
            "ports": [{"port": 8000, "protocol": "TCP"}],
        },
    ]


def test_router_with_cloud_targets_may_also_use_https_to_the_internet() -> None:
    policy = _router_policy(_router_graph(internet=True))
    assert policy["egress"][-1] == HTTPS_INTERNET


def test_router_with_managed_state_reaches_its_ranges_on_the_cache_ports_only() -> None:
    state = CidrEgress(cidrs=pulumi.Output.from_input(["10.1.0.0/16"]), ports=(6379, 6380))
    policy = _router_policy(_router_graph(internet=True, state=state))
    assert policy["egress"][-2:] == [
        {
            "to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}],
            "ports": [{"port": 6379, "protocol": "TCP"}, {"port": 6380, "protocol": "TCP"}],
        },
        HTTPS_INTERNET,
    ]


@pytest.mark.parametrize(
    ("egress", "message"),
    [
        (CidrEgress(cidrs=["10.0.0.0/16"], ports=()), "ports ()"),
        (CidrEgress(cidrs=["10.0.0.0/16"], ports=(0,)), "ports (0,)"),
        (CidrEgress(cidrs=["10.0.0.0"], ports=(6379,)), "IPv4 CIDRs"),
        (CidrEgress(cidrs="10.0.0.0/16", ports=(6379,)), "IPv4 CIDRs"),
    ],
)
def test_egress_ranges_are_checked_naming_the_bad_value(egress: CidrEgress, message: str) -> None:
    workload = _router_workload(egress_cidrs=(egress,))
    with pytest.raises(ValueError, match=re.escape(message)):
        workload.check()
    with pytest.raises(ValueError, match="needs egress_to"):
        _router_workload(egress_to=None, egress_cidrs=(egress,)).check()


def _router_workload(**changes: Any) -> Workload:
    args = KubernetesRouterArgs(
        config_json="{}",
        labels=Labels("prod", "ml", "cc", "eu", "confidential", "router"),
        image=IMAGE,
        provider=cast(pulumi.ProviderResource, None),
        namespace="inference",
    )
    return dataclasses.replace(router_workload(args), **changes)


def test_every_router_and_server_policy_passes_the_strict_schema() -> None:
    import kubernetes_validate

    graph = _router_graph(callers=["ingress-nginx"], internet=True)
    policies = graph.by_type(POLICY)
    assert {p.name for p in policies} == {
        "llama-default-deny-network-policy",
        "llama-server-network-policy",
        "router-workload-network-policy",
    }
    for policy in policies:
        manifest = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            **{k: v for k, v in manifest_of(policy).items() if k in ("metadata", "spec")},
        }
        assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
