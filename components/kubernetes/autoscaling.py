"""LLM-signal autoscaling for a Kubernetes model server: a KEDA ScaledObject whose
Prometheus trigger reads the engine's own queue or KV-cache metric.

CPU utilisation (the plain HPA in ``objects``) barely moves while a GPU server is
saturated; the waiting-request count and the KV-cache fill track user-visible latency.
KEDA creates and owns the HPA for the ScaledObject, so a workload has one or the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from components.kubernetes.objects import Manifest

__all__ = ["ENGINE_METRICS", "Signal", "SignalScaling", "default_threshold", "scaled_object"]

Signal = Literal["queue", "kv_cache", "cpu"]

ENGINE_METRICS: Mapping[str, Mapping[str, str]] = {
    # vLLM v0.11 /metrics (docs.vllm.ai "Production Metrics").
    "vllm": {"queue": "vllm:num_requests_waiting", "kv_cache": "vllm:gpu_cache_usage_perc"},
    # TGI /metrics: requests waiting in the batcher's queue; no KV-cache gauge.
    "tgi": {"queue": "tgi_queue_size"},
    # llama.cpp server with --metrics: requests deferred for lack of a free slot.
    "llamacpp": {"queue": "llamacpp:requests_deferred"},
}
"""Per engine and signal, the Prometheus metric the trigger sums or averages."""

_PROMETHEUS = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._/-]*)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def default_threshold(signal: Signal, max_batch: int | None) -> float:
    """Per-replica target: a quarter of the engine's batch waiting (a replica that
    queues more than that adds latency faster than a new one starts), or 80 % KV fill."""
    if signal == "kv_cache":
        return 0.8
    if signal == "queue":
        return float(max(1, (max_batch or 16) // 4))
    raise ValueError(f"signal {signal!r} has no LLM threshold; allowed: queue, kv_cache")


@dataclass(frozen=True)
class SignalScaling:
    """A ScaledObject for the Deployment ``name`` in ``namespace``."""

    name: str
    namespace: str
    engine: str
    signal: Signal
    prometheus_url: str
    """Prometheus that scrapes the server (``http://prometheus.monitoring:9090``)."""
    replicas_min: int
    replicas_max: int
    threshold: float
    production: bool
    """Scale to zero is refused in production: a cold start costs minutes of weights."""
    labels: Mapping[str, str]

    def check(self) -> None:
        """Raise ValueError naming the field, the bad value and what is allowed."""
        for key, value in (("name", self.name), ("namespace", self.namespace)):
            if not _NAME.match(value):
                raise ValueError(f"{key} {value!r} is not a DNS-1123 label")
        metrics = ENGINE_METRICS.get(self.engine, {})
        if self.signal not in metrics:
            allowed = ", ".join(metrics) or "none (use the CPU HPA)"
            raise ValueError(
                f"scaling.signal {self.signal!r} has no metric on engine {self.engine!r};"
                f" allowed: {allowed}"
            )
        if not _PROMETHEUS.match(self.prometheus_url):
            raise ValueError(
                f"scaling.prometheus {self.prometheus_url!r} is not an http(s) URL "
                "(scheme://host[:port][/path])"
            )
        low = 1 if self.production else 0
        if not low <= self.replicas_min <= self.replicas_max <= 1000:
            raise ValueError(
                f"scaling.min {self.replicas_min} / max {self.replicas_max}: allowed "
                f"{low} <= min <= max <= 1000"
                + (" (scale to zero only outside prod)" if self.production else "")
            )
        if not self.threshold > 0 or (self.signal == "kv_cache" and self.threshold > 1):
            raise ValueError(
                f"scaling.target {self.threshold}: allowed > 0"
                + (" and <= 1 (a fraction of the KV cache)" if self.signal == "kv_cache" else "")
            )

    @property
    def query(self) -> str:
        metric = ENGINE_METRICS[self.engine][self.signal]
        scope = f'namespace="{self.namespace}",pod=~"{self.name}-.*"'
        # Queue: total waiting, divided by the threshold per replica (KEDA's AverageValue).
        # KV cache: the mean fill over replicas, compared with the fraction.
        if self.signal == "queue":
            return f"sum({metric}{{{scope}}})"
        return f"avg({metric}{{{scope}}})"


def scaled_object(scaling: SignalScaling) -> Manifest:
    """The KEDA ``ScaledObject`` (keda.sh/v1alpha1) scaling the Deployment on its signal."""
    scaling.check()
    metric_type = "AverageValue" if scaling.signal == "queue" else "Value"
    spec: Manifest = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": scaling.name},
        "minReplicaCount": scaling.replicas_min,
        "maxReplicaCount": scaling.replicas_max,
        "pollingInterval": 15,
        # A warm replica is expensive to rebuild: the same 10-minute window as the CPU HPA.
        "cooldownPeriod": 600,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 600}}
            }
        },
        "triggers": [
            {
                "type": "prometheus",
                "metricType": metric_type,
                "metadata": {
                    "serverAddress": scaling.prometheus_url,
                    "query": scaling.query,
                    "threshold": _number(scaling.threshold),
                    # From zero, one waiting request wakes the server.
                    "activationThreshold": "0",
                    # No sample (Prometheus down) must not read as "no load".
                    "ignoreNullValues": "false",
                },
            }
        ],
    }
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": scaling.name,
            "namespace": scaling.namespace,
            "labels": dict(scaling.labels),
        },
        "spec": spec,
    }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
