"""What wakes a Kubernetes model server scaled to zero.

KEDA's trigger reads the engine's own queue metric, which no pod publishes at zero
replicas, so that trigger alone never scales a server back up. The router publishes the
demand instead: when it meets a target scaled to zero it counts
``inferplane_upstream_attempts_total{target=<name>,outcome="target_cold"}`` (router/cold.py)
and keeps asking the server to wake. The server's Prometheus scrapes that counter on the
router's operator port, and a second KEDA trigger activates the Deployment from it.

So a server may scale to zero only when a router in the same cluster fronts it; this module
says which servers need a wake signal and refuses the ones nothing could wake.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from inferplane.errors import Issue
from inferplane.spec.stack import StackSpec
from inferplane.spec.targets import KubernetesTarget

__all__ = ["Wake", "wake_issues", "wakes"]


@dataclass(frozen=True)
class Wake:
    """A scale-to-zero server and where the router's demand for it is read."""

    target: str
    router_namespace: str
    """Namespace of the router's pods: the wake query's ``namespace`` label."""
    scraper_namespace: str
    """The server's Prometheus (it must also scrape the router's operator port)."""
    scraper_labels: dict[str, str]


def _scales_to_zero(target: object) -> bool:
    return (
        isinstance(target, KubernetesTarget)
        and target.scaling.min == 0
        and target.scaling.signal != "cpu"
        and target.scaling.keda
    )


def _router_beside(spec: StackSpec) -> KubernetesTarget | None:
    router = spec.router
    if router.platform != "kubernetes" or router.target is None:
        return None
    beside = spec.targets.get(str(router.target))
    return beside if isinstance(beside, KubernetesTarget) else None


def wakes(spec: StackSpec) -> list[Wake]:
    """Every scale-to-zero Kubernetes server the router (on the same cluster) wakes."""
    beside = _router_beside(spec)
    if beside is None:
        return []
    found = []
    for name, target in spec.targets.items():
        if not _scales_to_zero(target):
            continue
        assert isinstance(target, KubernetesTarget)
        prometheus = target.scaling.prometheus
        assert prometheus is not None  # an LLM signal requires it
        found.append(
            Wake(name, beside.namespace, prometheus.namespace, dict(prometheus.pod_labels))
        )
    return found


def wake_issues(spec: StackSpec) -> Iterator[Issue]:
    """A server at ``min: 0`` that nothing could wake: no router on its cluster."""
    beside = _router_beside(spec)
    for name, target in spec.targets.items():
        if not _scales_to_zero(target):
            continue
        assert isinstance(target, KubernetesTarget)
        if beside is None or beside.cluster != target.cluster:
            where = (
                f"router.platform is {spec.router.platform!r}"
                if beside is None
                else "the router runs on another cluster"
            )
            yield Issue(
                f"targets.{name}.scaling.min",
                "0 scales the server to zero, but KEDA's engine metric does not exist at zero "
                f"replicas and {where}, so nothing would wake it: put the router on this "
                "cluster (router.platform: kubernetes) or keep min: 1",
                0,
            )
