"""NetworkPolicies: a namespace's default deny, and each workload's own policy admitting
exactly its declared clients and scrapers, and letting it reach exactly its peers, the
cluster DNS and (when asked) HTTPS on the internet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferplane.components.kubernetes.workload_spec import (
    EgressPeer,
    Manifest,
    Workload,
    check_name,
)

__all__ = ["KUBE_DNS_LABELS", "PRIVATE_RANGES", "default_deny_manifest", "network_policy"]

KUBE_DNS_LABELS: Mapping[str, str] = {"k8s-app": "kube-dns"}
"""Pod labels of the cluster DNS (CoreDNS keeps the kube-dns label on EKS, GKE, AKS, k3s)."""
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
"""Excluded from internet egress: the cluster's own networks and link-local (the cloud
metadata endpoints), so "HTTPS to the internet" never reaches another pod or a node."""


def default_deny_manifest(namespace: str, labels: Mapping[str, str]) -> Manifest:
    """The namespace's default: no pod receives or opens any connection unless a
    workload's own NetworkPolicy allows it (policies add up)."""
    check_name("namespace", namespace)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": namespace, "labels": dict(labels)},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def network_policy(workload: Workload) -> Manifest:
    spec: Manifest = {
        "podSelector": {"matchLabels": workload.selector},
        "policyTypes": ["Ingress"],
        "ingress": _ingress(workload),
    }
    if workload.egress_to is not None:
        spec["policyTypes"] = ["Ingress", "Egress"]
        spec["egress"] = _egress(workload, workload.egress_to)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": workload.metadata(),
        "spec": spec,
    }


def _ingress(workload: Workload) -> list[Manifest]:
    service: Manifest = {"ports": [{"port": workload.container.port, "protocol": "TCP"}]}
    peers = _clients(workload)
    scrapers = [
        {
            "namespaceSelector": {"matchLabels": _namespace_labels(peer.namespace)},
            "podSelector": {"matchLabels": dict(peer.pod_labels)},
        }
        for peer in workload.scrapers
    ]
    rules = [service]
    if workload.metrics_port is None:
        peers += scrapers
    else:
        # The metrics port is the scrapers' alone; they get nothing on the service port.
        rules.append(
            {"ports": [{"port": workload.metrics_port, "protocol": "TCP"}], "from": scrapers}
        )
    if peers:
        service["from"] = peers
    return rules


def _clients(workload: Workload) -> list[Manifest]:
    """Who may call the service port: the named pods, namespaces and address ranges."""
    peers: list[Manifest] = []
    if workload.allow_from is not None:
        peer: Manifest = {"podSelector": {"matchLabels": dict(workload.allow_from)}}
        if workload.allow_from_namespace not in (None, workload.namespace):
            peer["namespaceSelector"] = {
                "matchLabels": _namespace_labels(workload.allow_from_namespace)
            }
        peers.append(peer)
    peers += [
        {"namespaceSelector": {"matchLabels": _namespace_labels(namespace)}}
        for namespace in workload.allow_namespaces
    ]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in workload.allow_cidrs]
    return peers


def _namespace_labels(namespace: str | None) -> dict[str, str]:
    # Set by the API server on every namespace since Kubernetes 1.22.
    return {"kubernetes.io/metadata.name": str(namespace)}


def _egress(workload: Workload, peers: tuple[EgressPeer, ...]) -> list[Manifest]:
    dns = {
        "namespaceSelector": {"matchLabels": _namespace_labels("kube-system")},
        "podSelector": {"matchLabels": dict(KUBE_DNS_LABELS)},
    }
    rules: list[Manifest] = [
        {"to": [dns], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    ]
    for peer in peers:
        to: Manifest = {"podSelector": {"matchLabels": dict(peer.pod_labels)}}
        if peer.namespace != workload.namespace:
            to["namespaceSelector"] = {"matchLabels": _namespace_labels(peer.namespace)}
        rules.append({"to": [to], "ports": [{"port": peer.port, "protocol": "TCP"}]})
    for egress in workload.egress_cidrs:
        rules.append({"to": _ip_blocks(egress.cidrs), "ports": _tcp(egress.ports)})
    if workload.egress_https_internet:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                "ports": [{"port": 443, "protocol": "TCP"}],
            }
        )
    return rules


def _ip_blocks(cidrs: Any) -> Any:
    """``ipBlock`` peers of ``cidrs`` (a sequence, or a Pulumi output of one)."""
    if hasattr(cidrs, "apply"):
        return cidrs.apply(_ip_blocks)
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def _tcp(ports: tuple[int, ...]) -> list[Manifest]:
    return [{"port": port, "protocol": "TCP"} for port in ports]
