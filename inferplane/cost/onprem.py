"""Targets on hardware the organisation owns: edge sites and Kubernetes clusters."""

from __future__ import annotations

from inferplane.cost.model import LineItem, TargetCost
from inferplane.cost.prices import PriceTable
from inferplane.cost.usage import TargetUsage
from inferplane.spec.targets import EdgeTarget, KubernetesTarget

__all__ = ["edge", "kubernetes"]


def edge(name: str, target: EdgeTarget, usage: TargetUsage, prices: PriceTable) -> TargetCost:
    return TargetCost(
        [
            LineItem(
                name,
                "edge",
                f"{target.profile} at site {target.site_name}",
                None,
                "owned hardware: not on a cloud bill",
                billed=False,
            )
        ]
    )


def kubernetes(
    name: str, target: KubernetesTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    what = f"{target.gpus} GPU(s) on cluster ({target.cluster.cloud})"
    if target.cluster.cloud == "onprem":
        return TargetCost(
            [LineItem(name, "kubernetes", what, None, "owned hardware: not on a cloud bill", False)]
        )
    return TargetCost(
        [LineItem(name, "kubernetes", what, None, "node cost belongs to the cluster's node pool")]
    )
