"""Kubernetes objects of an edge site (k3s): the router and one model server per edge
target, plus the NVIDIA RuntimeClass and device plugin on GPU profiles.

The router and the model servers are rendered by ``components.kubernetes.manifests``,
the renderer the Pulumi ``ModelServer`` and ``KubernetesWorkload`` apply, so a cluster
deployed by ``pulumi up`` and a site installed from a bundle run the same objects. What
is the edge's own: the site label, models preloaded in a host directory (mounted
read-only), the router's Service published on the node (k3s ServiceLB), its config file
where the router image reads it, and the NVIDIA objects a bare k3s lacks.
Validated with kubernetes-validate --strict for ``KUBERNETES_VERSION``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.edge.layout import TLS_SECRET
from inferplane.components.kubernetes.manifests import (
    ROUTER_POD_LABELS,
    Manifest,
    ModelServerConfig,
    Workload,
    model_server_manifests,
    namespace_manifest,
    workload_manifests,
)
from inferplane.router.contract import CONFIG_PATH, ROUTER_PORT
from inferplane.serving import EngineCommand

__all__ = [
    "KUBERNETES_VERSION",
    "MODEL_DIR",
    "NAMESPACE",
    "ROUTER_NAME",
    "ModelServer",
    "gpu_objects",
    "model_server_objects",
    "router_objects",
]

KUBERNETES_VERSION = "1.33.0"
"""The k3s release a site runs (the schema the bundle's objects are checked against)."""
NAMESPACE = "inferplane"
ROUTER_NAME = "inferplane-router"
MODEL_DIR = "/var/lib/inferplane/models"
"""Host directory holding model files (GGUF, safetensors), mounted at /models."""
SITE_LABEL = "inferplane.io/site"
POD_TLS_DIR = "/run/inferplane/tls"
"""Where the router pod mounts the site's TLS Secret (apart from the config's mount)."""


@dataclass(frozen=True)
class ModelServer:
    """One model server of the site."""

    name: str
    """The edge target's name (a DNS label)."""
    image: str
    """Pinned by digest."""
    command: EngineCommand
    gpus: int
    engine: str
    """vllm, tgi, ollama, llamacpp or triton."""
    model: str
    weights_gib: float | None = None
    """GiB of weights (sizes memory and the startup probe); None when unknown."""


def _site_labels(site: str) -> dict[str, str]:
    return {SITE_LABEL: site}


def router_objects(site: str, image: str, config_json: str) -> list[Manifest]:
    """Namespace, then the router workload: its config ConfigMap, Deployment and a
    LoadBalancer Service (k3s ServiceLB publishes it on the node's address)."""
    labels = _site_labels(site)
    workload = Workload(
        name=ROUTER_NAME,
        namespace=NAMESPACE,
        component="router",
        container=ContainerSpec(
            image=image,
            port=ROUTER_PORT,
            health_path="/healthz",
            args=(
                "--config",
                CONFIG_PATH,
                "--host",
                "0.0.0.0",
                "--port",
                str(ROUTER_PORT),
                "--tls-cert",
                f"{POD_TLS_DIR}/tls.crt",
                "--tls-key",
                f"{POD_TLS_DIR}/tls.key",
            ),
            # Half a vCPU and 512 MiB: the router is I/O-bound.
            resources=Resources(cpu=0.5, memory_gib=0.5),
        ),
        labels={**labels, **ROUTER_POD_LABELS},
        files={posixpath.basename(CONFIG_PATH): config_json},
        files_mount=posixpath.dirname(CONFIG_PATH),
        service_type="LoadBalancer",
    )
    # Model servers share the namespace and mount MODEL_DIR from the host, which the
    # baseline Pod Security level refuses.
    objects = [_with_tls(m) for m in workload_manifests(workload)]
    return [namespace_manifest(NAMESPACE, labels, "privileged"), *objects]


def _with_tls(manifest: Manifest) -> Manifest:
    """The router Deployment mounts the site's TLS Secret and is probed over HTTPS."""
    if manifest.get("kind") != "Deployment":
        return manifest
    pod = manifest["spec"]["template"]["spec"]
    pod["volumes"] = [
        *pod.get("volumes", []),
        {"name": "tls", "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}},
    ]
    for container in pod["containers"]:
        container["volumeMounts"] = [
            *container.get("volumeMounts", []),
            {"name": "tls", "mountPath": POD_TLS_DIR, "readOnly": True},
        ]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if "httpGet" in container.get(probe, {}):
                container[probe]["httpGet"]["scheme"] = "HTTPS"
    return manifest


def model_server_objects(
    site: str, server: ModelServer, runtime_class: str | None
) -> list[Manifest]:
    """The model server's Deployment, Service, PDB and a NetworkPolicy admitting only
    the router (the namespace comes with the router)."""
    config = ModelServerConfig(
        name=server.name,
        namespace=NAMESPACE,
        model=server.model,
        engine=server.engine,
        command=replace(server.command, image=server.image),
        weights_gib=server.weights_gib,
        gpus=server.gpus,
        runtime_class=runtime_class,
        # Sites are offline: the models are preloaded into MODEL_DIR, never downloaded.
        cache="hostpath",
        cache_host_path=MODEL_DIR,
        cache_read_only=True,
        labels=_site_labels(site),
    )
    return model_server_manifests(config, namespace=False)


def gpu_objects(site: str, device_plugin_image: str, runtime_class: str) -> list[Manifest]:
    """The RuntimeClass k3s maps to its detected ``nvidia`` containerd runtime, and the
    NVIDIA device plugin DaemonSet that advertises ``nvidia.com/gpu``."""
    labels = {
        **_site_labels(site),
        "app.kubernetes.io/name": "nvidia-device-plugin",
        "app.kubernetes.io/part-of": "inferplane",
        "app.kubernetes.io/managed-by": "inferplane",
    }
    selector = {"app.kubernetes.io/name": "nvidia-device-plugin"}
    container = {
        "name": "nvidia-device-plugin",
        "image": device_plugin_image,
        "imagePullPolicy": "IfNotPresent",
        "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [
            {"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"},
        ],
    }
    return [
        {
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": {"name": runtime_class, "labels": labels},
            "handler": runtime_class,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": "nvidia-device-plugin",
                "namespace": "kube-system",
                "labels": labels,
            },
            "spec": {
                "selector": {"matchLabels": selector},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "runtimeClassName": runtime_class,
                        "priorityClassName": "system-node-critical",
                        "tolerations": [
                            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                        ],
                        "containers": [container],
                        "volumes": [
                            {
                                "name": "device-plugin",
                                "hostPath": {"path": "/var/lib/kubelet/device-plugins"},
                            }
                        ],
                    },
                },
            },
        },
    ]
