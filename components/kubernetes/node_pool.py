"""GPU nodes for a model server on EKS, from Karpenter (``karpenter.sh/v1`` NodePools):
an on-demand base, spot above it, on-demand when spot cannot be had.

Two NodePools share one label and one taint, so the server's pods (which select the
label and tolerate the taint) can land on either:

- ``<name>-base``: on-demand only, weight 100, limited to ``on_demand_base`` nodes' GPUs.
  Karpenter fills the highest-weight pool first, so the first replicas get on-demand
  nodes; these are only removed when empty.
- ``<name>-spot``: ``karpenter.sh/capacity-type`` in [spot, on-demand], weight 10, up to
  ``max_nodes`` nodes' GPUs. Karpenter prefers spot when a pool allows both and launches
  on-demand when EC2 has no spot for any listed type and zone (it remembers the
  unavailable offering for a few minutes). Interrupted spot nodes are drained and
  replaced when the cluster's Karpenter has its interruption queue.

Going back to spot is the weak side: consolidation may replace an on-demand node by a
cheaper spot one, but does not always (kubernetes-sigs/karpenter#1829,
aws/karpenter-provider-aws#7832), so the spot pool's nodes expire after
``expire_after`` and their replacements prefer spot again.

The EC2NodeClass (AMI, subnets over the zones, security groups, node role) is the
cluster operator's; it is referenced by name, not created here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from inferplane.catalog.accelerators import gpu_of
from inferplane.catalog.spot_pool import architecture, spot_pool_issue
from inferplane.components.kubernetes.workload_spec import GPU_RESOURCE, Manifest, Toleration

__all__ = [
    "API_VERSION",
    "CAPACITY_TYPE",
    "POOL_LABEL",
    "GpuNodePool",
    "node_pool_manifests",
]

API_VERSION = "karpenter.sh/v1"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
POOL_LABEL = "inferplane.dev/gpu-pool"
"""Node label of both pools; the model server's pods select it."""
_DURATION = r"^([0-9]+(s|m|h))+$"
_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_ARCH = {"x86_64": "amd64", "arm64": "arm64"}


@dataclass(frozen=True)
class GpuNodePool:
    """Karpenter NodePools for one model server's GPU nodes."""

    name: str
    """Prefix of the NodePools' names and the value of ``POOL_LABEL``."""
    instance_types: tuple[str, ...]
    """EC2 types of equal GPUs (``inferplane.catalog.spot_pool``), the first the primary."""
    max_nodes: int
    """Nodes of both pools together, at most."""
    on_demand_base: int = 1
    """Nodes always on demand (the base pool's limit)."""
    node_class: str = "default"
    """The cluster's ``EC2NodeClass`` (karpenter.k8s.aws/v1)."""
    expire_after: str = "24h"
    """Lifetime of the spot pool's nodes: an on-demand fallback node lives at most this."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the NodePool objects."""

    @property
    def gpus_per_node(self) -> int:
        spec = gpu_of(self.instance_types[0])
        return spec.count if spec else 1

    @property
    def toleration(self) -> Toleration:
        return Toleration(key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")

    @property
    def selector(self) -> dict[str, str]:
        return {POOL_LABEL: self.name}

    def check(self) -> None:
        if not re.match(_NAME, self.name) or len(self.name) > 58:
            raise ValueError(f"node_pool name {self.name!r} is not a DNS label of <= 58 chars")
        if not self.instance_types:
            raise ValueError("node_pool.instance_types: empty; name one GPU type or more")
        first, *rest = self.instance_types
        issue = spot_pool_issue(first, rest)
        if issue is not None:
            raise ValueError(f"node_pool.instance_types: {issue}")
        if not 0 <= self.on_demand_base <= self.max_nodes or self.max_nodes < 1:
            raise ValueError(
                f"node_pool.on_demand_base {self.on_demand_base}: allowed 0..max_nodes"
                f" ({self.max_nodes}), with max_nodes >= 1"
            )
        if not re.match(_DURATION, self.expire_after):
            raise ValueError(
                f"node_pool.expire_after {self.expire_after!r} is not a duration like 24h"
            )
        if not re.match(_NAME, self.node_class):
            raise ValueError(f"node_pool.node_class {self.node_class!r} is not an object name")


def node_pool_manifests(pool: GpuNodePool) -> list[Manifest]:
    """The base pool (when ``on_demand_base`` > 0), then the spot pool."""
    pool.check()
    found = []
    if pool.on_demand_base:
        found.append(
            _node_pool(
                pool,
                f"{pool.name}-base",
                ["on-demand"],
                weight=100,
                nodes=pool.on_demand_base,
                # Base nodes go only when empty, and never expire under a serving pod.
                disruption={"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
                expire_after="Never",
            )
        )
    found.append(
        _node_pool(
            pool,
            f"{pool.name}-spot",
            ["spot", "on-demand"],
            weight=10,
            nodes=pool.max_nodes,
            disruption={
                "consolidationPolicy": "WhenEmptyOrUnderutilized",
                "consolidateAfter": "30m",
                # One GPU node at a time: each move reloads a model.
                "budgets": [{"nodes": "1"}],
            },
            expire_after=pool.expire_after,
        )
    )
    return found


def _node_pool(
    pool: GpuNodePool,
    name: str,
    capacity_types: list[str],
    *,
    weight: int,
    nodes: int,
    disruption: Manifest,
    expire_after: str,
) -> Manifest:
    return {
        "apiVersion": API_VERSION,
        "kind": "NodePool",
        "metadata": {"name": name, "labels": dict(pool.labels)},
        "spec": {
            "weight": weight,
            # GPUs, not nodes: a NodePool limits the resources of its nodes.
            "limits": {GPU_RESOURCE: str(nodes * pool.gpus_per_node)},
            "disruption": disruption,
            "template": {
                "metadata": {"labels": pool.selector},
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": pool.node_class,
                    },
                    "requirements": [
                        {"key": CAPACITY_TYPE, "operator": "In", "values": capacity_types},
                        {
                            "key": "node.kubernetes.io/instance-type",
                            "operator": "In",
                            "values": list(pool.instance_types),
                        },
                        {
                            "key": "kubernetes.io/arch",
                            "operator": "In",
                            "values": [_ARCH[architecture(pool.instance_types[0])]],
                        },
                    ],
                    "taints": [{"key": GPU_RESOURCE, "effect": "NoSchedule"}],
                    "expireAfter": expire_after,
                },
            },
        },
    }
