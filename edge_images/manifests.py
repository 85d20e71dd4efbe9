"""Kubernetes objects of an edge site (k3s): the router and one model server per edge
target, plus the NVIDIA RuntimeClass and device plugin on GPU profiles.

These are pure functions returning manifest dicts. They are the edge builder's own until
``components/kubernetes/manifests.py`` (the ModelServer's renderer) lands; then
``model_server_objects`` should call that instead so the cloud and edge model servers are
rendered once. Validated with kubernetes-validate --strict for ``KUBERNETES_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inferplane.packaging.router_image import CONFIG_PATH, ROUTER_PORT
from inferplane.serving import EngineCommand

__all__ = [
    "KUBERNETES_VERSION",
    "MODEL_DIR",
    "NAMESPACE",
    "ModelServer",
    "gpu_objects",
    "model_server_objects",
    "router_objects",
]

KUBERNETES_VERSION = "1.33.0"
NAMESPACE = "inferplane"
MODEL_DIR = "/var/lib/inferplane/models"
"""Host directory holding model files (GGUF, safetensors), mounted at /models."""
Manifest = dict[str, Any]


@dataclass(frozen=True)
class ModelServer:
    """One model server of the site."""

    name: str
    """The edge target's name (a DNS label)."""
    image: str
    """Pinned by digest."""
    command: EngineCommand
    gpus: int


def _labels(component: str, site: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "inferplane",
        "app.kubernetes.io/managed-by": "inferplane",
        "inferplane.io/site": site,
    }


def _meta(name: str, labels: dict[str, str], namespace: str | None = NAMESPACE) -> Manifest:
    meta: Manifest = {"name": name, "labels": labels}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


_RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}


def _probe(path: str, port: int, initial: int, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": port},
        "initialDelaySeconds": initial,
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def router_objects(site: str, image: str, config_json: str) -> list[Manifest]:
    """Namespace, router config, Deployment and Service (LoadBalancer: k3s ServiceLB
    publishes it on the node's address)."""
    labels = _labels("inferplane-router", site)
    selector = {"app.kubernetes.io/name": "inferplane-router"}
    container = {
        "name": "router",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config", CONFIG_PATH, "--host", "0.0.0.0", "--port", str(ROUTER_PORT)],
        "ports": [{"name": "http", "containerPort": ROUTER_PORT}],
        "readinessProbe": _probe("/healthz", ROUTER_PORT, 2, 5, 3),
        "livenessProbe": _probe("/healthz", ROUTER_PORT, 10, 10, 3),
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "512Mi"},
        },
        "securityContext": _RESTRICTED,
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/inferplane", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    pod = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": [
            {"name": "config", "configMap": {"name": "inferplane-router"}},
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(NAMESPACE, labels, None)},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("inferplane-router", labels),
            "data": {"router.json": config_json},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta("inferplane-router", labels),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": labels}, "spec": pod},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("inferplane-router", labels),
            "spec": {
                "type": "LoadBalancer",
                "selector": selector,
                "ports": [{"name": "http", "port": ROUTER_PORT, "targetPort": "http"}],
            },
        },
    ]


def model_server_objects(
    site: str, server: ModelServer, runtime_class: str | None
) -> list[Manifest]:
    """Deployment + ClusterIP Service + a NetworkPolicy admitting only the router."""
    name = server.name
    labels = {**_labels(name, site), "inferplane.io/role": "model-server"}
    selector = {"app.kubernetes.io/name": name}
    cmd = server.command
    resources: Manifest = {"requests": {"cpu": "1", "memory": "2Gi"}}
    if server.gpus:
        resources["limits"] = {"nvidia.com/gpu": server.gpus}
    container = {
        "name": "server",
        "image": server.image,
        "imagePullPolicy": "IfNotPresent",
        "args": list(cmd.args),
        "env": [{"name": k, "value": v} for k, v in sorted(cmd.env.items())],
        "ports": [{"name": "http", "containerPort": cmd.port}],
        # Loading a model takes minutes: a startup probe holds liveness off until then.
        "startupProbe": _probe(cmd.health_path, cmd.port, 10, 10, 60),
        "readinessProbe": _probe(cmd.health_path, cmd.port, 0, 10, 3),
        "livenessProbe": _probe(cmd.health_path, cmd.port, 0, 20, 3),
        "resources": resources,
        "securityContext": {**_RESTRICTED, "readOnlyRootFilesystem": False},
        "volumeMounts": [{"name": "models", "mountPath": "/models", "readOnly": True}],
    }
    pod: Manifest = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000},
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": [
            {"name": "models", "hostPath": {"path": MODEL_DIR, "type": "Directory"}},
        ],
    }
    if runtime_class is not None and server.gpus:
        pod["runtimeClassName"] = runtime_class
    router_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "inferplane-router"}}}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, labels),
            "spec": {
                "replicas": 1,
                # One GPU, one server: the old pod must free the GPU before the new starts.
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": labels}, "spec": pod},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(name, labels),
            "spec": {
                "selector": selector,
                "ports": [{"name": "http", "port": cmd.port, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(f"{name}-from-router", labels),
            "spec": {
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [router_pods], "ports": [{"port": cmd.port}]}],
            },
        },
    ]


def gpu_objects(site: str, device_plugin_image: str, runtime_class: str) -> list[Manifest]:
    """The RuntimeClass k3s maps to its detected ``nvidia`` containerd runtime, and the
    NVIDIA device plugin DaemonSet that advertises ``nvidia.com/gpu``."""
    labels = _labels("nvidia-device-plugin", site)
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
            "metadata": _meta("nvidia-device-plugin", labels, "kube-system"),
            "spec": {
                "selector": {"matchLabels": selector},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": {**labels, **selector}},
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
