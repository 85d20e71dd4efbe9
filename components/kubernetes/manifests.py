"""Kubernetes objects as plain manifests (the dicts ``kubectl apply`` takes).

The Pulumi components register exactly these dicts, and the edge bundle writes them as
YAML for k3s, so a cluster deployed by ``pulumi up`` and a site installed from a bundle
run the same objects. ``model_server_manifests`` renders a model server from its engine
command; ``workload_manifests`` renders any workload (the router too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from inferplane.catalog.engine import ENGINE_NAMES, EngineCommand
from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.kubernetes.autoscaling import (
    SignalScaling,
    external_autoscaler,
    scaled_object,
)
from inferplane.components.kubernetes.network_policy import default_deny_manifest
from inferplane.components.kubernetes.objects import namespace_manifest, workload_manifests
from inferplane.components.kubernetes.workload_spec import (
    CACHE_MOUNT,
    GPU_RESOURCE,
    KUBERNETES_VERSION,
    ROUTER_POD_LABELS,
    CacheVolume,
    EgressPeer,
    IngressPeer,
    Manifest,
    Toleration,
    Workload,
    image_digest,
)

__all__ = [
    "GPU_RESOURCE",
    "KUBERNETES_VERSION",
    "ROUTER_POD_LABELS",
    "CacheVolume",
    "EgressPeer",
    "IngressPeer",
    "Manifest",
    "ModelServerConfig",
    "Toleration",
    "Workload",
    "default_deny_manifest",
    "image_digest",
    "model_server_manifests",
    "model_server_namespace",
    "model_server_workload",
    "namespace_manifest",
    "workload_manifests",
]

# Engines whose images write only to HOME, /tmp and the model cache, so their root
# filesystem can be read-only. vLLM, TGI and Triton compile kernels and write caches
# (torch, triton, outlines) under paths their images choose; those keep a writable root.
_READ_ONLY_ROOT = frozenset({"llamacpp", "ollama"})
_ENGINE_ENV: Mapping[str, Mapping[str, str]] = {
    "vllm": {"HF_HOME": f"{CACHE_MOUNT}/huggingface"},
    "tgi": {"HF_HOME": f"{CACHE_MOUNT}/huggingface"},
    "ollama": {"OLLAMA_MODELS": f"{CACHE_MOUNT}/ollama"},
    "llamacpp": {},
    "triton": {},
}


@dataclass(frozen=True, kw_only=True)
class ModelServerConfig:
    """A model server on Kubernetes, independent of how it is applied (Pulumi or k3s)."""

    name: str
    """Object name of the server's Deployment, Service, HPA, PDB and NetworkPolicy."""
    namespace: str
    model: str
    engine: str
    """vllm, tgi, ollama, llamacpp or triton (selects env and root-filesystem mode)."""
    command: EngineCommand
    """From ``inferplane.serving.render(model, serving)``."""
    weights_gib: float | None = None
    """GiB of weights; sizes the cache, memory and the startup probe's patience."""
    gpus: int = 1
    runtime_class: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    cache: Literal["pvc", "hostpath", "emptydir"] = "pvc"
    cache_gib: int | None = None
    """Cache size; default: the weights plus 25% (100 GiB if the size is unknown)."""
    cache_host_path: str = "/var/lib/inferplane/models"
    cache_read_only: bool = False
    """Mount the cache read-only (a hostPath the operator fills: an edge box's models)."""
    storage_class: str | None = None
    model_secret: str | None = None
    """Existing Secret whose keys become the server's environment (e.g. ``HF_TOKEN``)."""
    replicas_min: int = 1
    replicas_max: int = 1
    cpu_target_percent: int = 70
    labels: Mapping[str, str] = field(default_factory=dict)
    router_labels: Mapping[str, str] = field(default_factory=lambda: dict(ROUTER_POD_LABELS))
    """Pod labels of the router, the only client the NetworkPolicy admits."""
    router_namespace: str | None = None
    """The router's namespace when it is not this one."""
    require_digest: bool = True
    signal_scaling: SignalScaling | None = None
    """Scale on an engine signal instead of CPU (``replicas_min/max`` are then its)."""
    keda: bool = True
    """With ``signal_scaling``: a KEDA ScaledObject; False: an HPA on the external metric."""
    scrapers: tuple[IngressPeer, ...] = ()
    """Prometheus pods admitted to the port's ``/metrics`` (needed by ``signal_scaling``)."""
    replica_service: bool = False
    """Also a headless Service ``<name>-replicas`` for the router's own replica choice."""


def model_server_workload(config: ModelServerConfig) -> Workload:
    """The generic workload a model server is."""
    _check_config(config)
    weights = config.weights_gib
    scaler = _scaler(config)
    return Workload(
        name=config.name,
        namespace=config.namespace,
        component="model-server",
        container=_container(config),
        env_from_secret=config.model_secret,
        labels=config.labels,
        # A ScaledObject may scale to zero; the Deployment's own bounds stay >= 1 (it
        # has no replica count while a scaler owns it).
        replicas_min=max(1, config.replicas_min) if scaler else config.replicas_min,
        replicas_max=config.replicas_max,
        cpu_target_percent=config.cpu_target_percent,
        scaler=scaler,
        scrapers=config.scrapers,
        runtime_class=config.runtime_class,
        node_selector=config.node_selector,
        tolerations=config.tolerations,
        cache=_cache(config),
        read_only_root=config.engine in _READ_ONLY_ROOT,
        # Loading from a warm cache runs at ~1 GiB/s; a cold download is slower.
        startup_seconds=min(7200, 300 + 30 * math.ceil(weights or 16)),
        allow_from=config.router_labels,
        allow_from_namespace=config.router_namespace,
        # Egress: the cluster DNS, and HTTPS for weight downloads unless an operator
        # preloaded them (read-only); never another pod.
        egress_to=(),
        egress_https_internet=not config.cache_read_only,
        require_digest=config.require_digest,
    )


def _check_config(config: ModelServerConfig) -> None:
    if config.engine not in ENGINE_NAMES:
        allowed = ", ".join(ENGINE_NAMES)
        raise ValueError(f"engine {config.engine!r} is unknown; allowed: {allowed}")
    if config.weights_gib is not None and config.weights_gib <= 0:
        raise ValueError(f"weights_gib {config.weights_gib} must be > 0 (or None if unknown)")


def _container(config: ModelServerConfig) -> ContainerSpec:
    """The engine's container, with the engine's cache paths in its environment and
    sized for its weights: the engine maps them into host memory while loading (CPU-only
    llama.cpp keeps them there), plus runtime overhead."""
    memory_gib = max(4, math.ceil((config.weights_gib or 8) * 1.25) + 2)
    resources = Resources(cpu=max(2, 4 * config.gpus), memory_gib=memory_gib, gpus=config.gpus)
    spec = ContainerSpec.of_engine(config.command, resources)
    return replace(spec, env={**_ENGINE_ENV.get(config.engine, {}), **spec.env})


def _cache(config: ModelServerConfig) -> CacheVolume:
    weights = config.weights_gib
    cache_gib = config.cache_gib or (math.ceil(weights * 1.25) if weights else 100)
    return CacheVolume(
        config.cache,
        cache_gib,
        config.cache_host_path,
        config.storage_class,
        read_only=config.cache_read_only,
    )


def _scaler(config: ModelServerConfig) -> Manifest | None:
    if config.signal_scaling is None:
        return None
    if not config.scrapers:
        raise ValueError(
            "scrapers: empty, but signal_scaling reads the server's metrics; allowed: "
            "the Prometheus pods (namespace and labels) the NetworkPolicy must admit"
        )
    render = scaled_object if config.keda else external_autoscaler
    return render(config.signal_scaling)


def model_server_namespace(config: ModelServerConfig) -> Manifest:
    """The server's namespace; Pod Security ``privileged`` when the cache is a node
    directory (baseline admits no hostPath volume)."""
    enforce: Literal["baseline", "privileged"] = (
        "privileged" if config.cache == "hostpath" else "baseline"
    )
    return namespace_manifest(config.namespace, config.labels, enforce)


def model_server_manifests(config: ModelServerConfig, namespace: bool = True) -> list[Manifest]:
    """Every object of a model server, its namespace and the namespace's default-deny
    NetworkPolicy first when ``namespace``."""
    workload = model_server_workload(config)
    head = (
        [model_server_namespace(config), default_deny_manifest(config.namespace, config.labels)]
        if namespace
        else []
    )
    return head + workload_manifests(workload)
