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

from inferplane.catalog.engine_metrics import ENGINE_METRICS, Signal
from inferplane.components.kubernetes.workload_spec import Manifest

__all__ = ["SignalScaling", "WakeSignal", "external_autoscaler", "scaled_object"]

WAKE_METRIC = "inferplane_upstream_attempts_total"
"""The router's attempts counter; ``outcome="target_cold"`` counts requests (and wake-up
calls) that met the target scaled to zero (router/cold.py)."""
WAKE_WINDOW = "2m"

_PROMETHEUS = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._/-]*)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class WakeSignal:
    """Where the router's demand for a scaled-to-zero server is read: the router's pods in
    ``router_namespace`` (scraped by the same Prometheus) label it ``target``."""

    router_namespace: str
    target: str

    @property
    def query(self) -> str:
        scope = f'namespace="{self.router_namespace}",target="{self.target}",outcome="target_cold"'
        return f"sum(increase({WAKE_METRIC}{{{scope}}}[{WAKE_WINDOW}]))"


@dataclass(frozen=True)
class SignalScaling:
    """Scaling of the model server's Deployment ``name`` in ``namespace`` on an engine
    signal (``inferplane.catalog.engine_metrics``)."""

    name: str
    namespace: str
    engine: str
    signal: Signal
    prometheus_url: str
    """Prometheus that scrapes the server (``http://prometheus.monitoring:9090``)."""
    replicas_min: int
    replicas_max: int
    threshold: float
    """Per replica: waiting requests (queue) or KV-cache fraction (kv_cache)."""
    production: bool
    """Scale to zero is refused in production: a cold start costs minutes of weights."""
    labels: Mapping[str, str]
    wake: WakeSignal | None = None
    """Required at ``replicas_min`` 0: the engine's metric does not exist at zero
    replicas, so the router's demand is what activates the Deployment."""

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
        self._check_replicas()
        if self.wake is not None:
            for key, value in (
                ("wake.router_namespace", self.wake.router_namespace),
                ("wake.target", self.wake.target),
            ):
                if not _NAME.match(value):
                    raise ValueError(f"{key} {value!r} is not a DNS-1123 label")
        if not self.threshold > 0 or (self.signal == "kv_cache" and self.threshold > 1):
            raise ValueError(
                f"scaling.target {self.threshold}: allowed > 0"
                + (" and <= 1 (a fraction of the KV cache)" if self.signal == "kv_cache" else "")
            )

    def _check_replicas(self) -> None:
        low = 1 if self.production else 0
        if not low <= self.replicas_min <= self.replicas_max <= 1000:
            raise ValueError(
                f"scaling.min {self.replicas_min} / max {self.replicas_max}: allowed "
                f"{low} <= min <= max <= 1000"
                + (" (scale to zero only outside prod)" if self.production else "")
            )
        if self.replicas_min == 0 and self.wake is None:
            raise ValueError(
                "scaling.min 0 needs a wake signal (the router's demand): the engine's "
                "metric does not exist at zero replicas, so nothing would scale it up"
            )

    @property
    def metric(self) -> str:
        return ENGINE_METRICS[self.engine][self.signal]

    @property
    def query(self) -> str:
        # One model server per namespace (a spec check): the namespace scopes the series;
        # the pod prefix keeps out anything else scraped there.
        scope = f'namespace="{self.namespace}",pod=~"{self.name}-.*"'
        return f"sum({self.metric}{{{scope}}})"


def _metadata(scaling: SignalScaling) -> dict[str, object]:
    return {"name": scaling.name, "namespace": scaling.namespace, "labels": dict(scaling.labels)}


def _deployment(scaling: SignalScaling) -> dict[str, str]:
    """The model server's Deployment, which both autoscalers scale."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": scaling.name}


def scaled_object(scaling: SignalScaling) -> Manifest:
    """The KEDA ``ScaledObject`` (keda.sh/v1alpha1) scaling the Deployment on its signal.

    The trigger's value is the sum over the server's pods and its type ``AverageValue``:
    KEDA's HPA then asks for ceil(sum / threshold) replicas, i.e. each replica holds the
    threshold (waiting requests, or KV-cache fraction)."""
    scaling.check()
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(scaling),
        "spec": {
            "scaleTargetRef": _deployment(scaling),
            "minReplicaCount": scaling.replicas_min,
            "maxReplicaCount": scaling.replicas_max,
            "pollingInterval": 15,
            # A warm replica is expensive to rebuild: the CPU HPA's 10-minute window, and
            # as long before going to zero.
            "cooldownPeriod": 600,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 600}}
                }
            },
            "triggers": [_engine_trigger(scaling), *_wake_trigger(scaling)],
        },
    }


def _engine_trigger(scaling: SignalScaling) -> dict[str, object]:
    return {
        "type": "prometheus",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": scaling.prometheus_url,
            "query": scaling.query,
            "threshold": _number(scaling.threshold),
            "activationThreshold": "0",
            # No sample is an error, never "no load" (Prometheus down must not scale
            # to zero) -- except at zero replicas, where no pod publishes the metric and
            # the wake trigger stands guard.
            "ignoreNullValues": "true" if scaling.wake is not None else "false",
        },
    }


def _wake_trigger(scaling: SignalScaling) -> list[dict[str, object]]:
    """From zero: one request the router could not serve (target_cold) activates the
    Deployment. Its threshold is out of reach, so it asks for exactly one replica while
    active; the engine trigger sizes everything above."""
    if scaling.wake is None:
        return []
    return [
        {
            "type": "prometheus",
            "name": "router-demand",
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": scaling.prometheus_url,
                "query": scaling.wake.query,
                "threshold": "1000000",
                "activationThreshold": "0",
                # The router is always up: no sample means Prometheus is down.
                "ignoreNullValues": "false",
            },
        }
    ]


def external_autoscaler(scaling: SignalScaling) -> Manifest:
    """Without KEDA: an autoscaling/v2 HPA on the engine metric as an External metric
    (a Prometheus adapter must serve it under its Prometheus name, with a ``namespace``
    label). Same arithmetic as the ScaledObject: ``AverageValue`` over the series' sum."""
    scaling.check()
    if scaling.replicas_min < 1:
        raise ValueError(
            f"scaling.min {scaling.replicas_min}: an HPA keeps at least 1 replica; allowed: >= 1"
        )
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(scaling),
        "spec": {
            "scaleTargetRef": _deployment(scaling),
            "minReplicas": scaling.replicas_min,
            "maxReplicas": scaling.replicas_max,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {
                            "name": scaling.metric,
                            "selector": {"matchLabels": {"namespace": scaling.namespace}},
                        },
                        "target": {
                            "type": "AverageValue",
                            "averageValue": _number(scaling.threshold),
                        },
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 600}},
        },
    }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
