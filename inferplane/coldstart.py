"""Which targets scale to zero, and how the router should wait for them.

A target starts cold when its kind can run at zero instances and ``scaling.min`` is 0:
a Kubernetes model server on KEDA (``minReplicaCount: 0``, non-prod), a GPU fleet at
``min_size: 0`` (with or without a warm pool), Cloud Run and Container Apps. Its
RouterConfig entry gets ``cold`` (``router.config.ColdStartConfig``) and timeouts that
leave room for the wait.

The defaults are estimates of a cold start of a 7-8B model, override them with
``scaling.cold_start_s``: scheduling plus image pull plus weight loading on a Kubernetes
node that exists; an EC2 instance launch (a warm-pool instance skips boot and driver
setup); a Cloud Run or Container Apps instance with its GPU (platform-managed, weights
pulled at start). ``idle_s`` is the platform's scale-down delay: KEDA's
``cooldownPeriod`` (600 s in ``components/kubernetes/autoscaling.py``), Container Apps'
300 s, Cloud Run's ~15 min, the fleet's scale-in after its target tracking alarm.
"""

from __future__ import annotations

from router.config import ColdStartConfig

__all__ = ["COLD_DEFAULTS", "cold_start"]

COLD_DEFAULTS: dict[str, tuple[float, float]] = {
    # kind: (warm_s, idle_s)
    "kubernetes": (180.0, 600.0),
    "gpu_fleet": (300.0, 900.0),
    "gpu_fleet_warm_pool": (120.0, 900.0),
    "cloud_run": (60.0, 900.0),
    "container_app": (120.0, 300.0),
}


def cold_start(target: object) -> ColdStartConfig | None:
    """The cold-start settings of a spec target, None when it never scales to zero."""
    kind = getattr(target, "kind", None)
    scaling = getattr(target, "scaling", None)
    if kind is None or scaling is None or scaling.min != 0:
        return None
    if kind == "gpu_fleet" and getattr(target, "warm_pool", False):
        kind = "gpu_fleet_warm_pool"
    if kind not in COLD_DEFAULTS:
        return None
    warm_s, idle_s = COLD_DEFAULTS[kind]
    if scaling.cold_start_s is not None:
        warm_s = scaling.cold_start_s
    return ColdStartConfig(warm_s=warm_s, max_wait_s=min(2 * warm_s, 3600.0), idle_s=idle_s)
