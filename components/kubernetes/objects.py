"""A workload (one HTTP service) as plain Kubernetes objects: the dicts ``kubectl apply``
takes, with no Pulumi in sight. ``components.kubernetes.manifests`` is the public entry.

What a workload is lives in ``workload_spec``, its Deployment in ``pod``, its
NetworkPolicy in ``network_policy``; this module renders the other objects and lists them
all in apply order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from inferplane.components.kubernetes.network_policy import network_policy
from inferplane.components.kubernetes.pod import deployment
from inferplane.components.kubernetes.workload_spec import (
    CacheVolume,
    Manifest,
    Workload,
    check_name,
)

__all__ = ["headless_service", "namespace_manifest", "workload_manifests"]


def namespace_manifest(
    name: str,
    labels: Mapping[str, str],
    enforce: Literal["baseline", "privileged"] = "baseline",
) -> Manifest:
    """The namespace, labelled for the restricted Pod Security Standard where it can be.

    GPU pods mount nothing privileged here (the device plugin injects devices), so the
    namespace enforces ``baseline`` and warns on ``restricted``. Pods mounting a node
    directory (a ``hostpath`` cache) need ``privileged``: baseline forbids hostPath."""
    check_name("namespace", name)
    pod_security = {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**labels, **pod_security}},
    }


def workload_manifests(workload: Workload) -> list[Manifest]:
    """Every object of ``workload`` in apply order: cache claim, Deployment, Service,
    HPA (when it scales), PodDisruptionBudget, NetworkPolicy."""
    workload.check()
    found: list[Manifest] = []
    if workload.service_account is not None:
        found.append(_service_account(workload))
    if workload.files:
        found.append(_files(workload))
    if workload.cache is not None and workload.cache.kind == "pvc":
        found.append(_claim(workload, workload.cache))
    found += [deployment(workload), _service(workload)]
    if workload.scaler is not None:
        found.append(dict(workload.scaler))
    elif workload.hpa:
        found.append(_autoscaler(workload))
    return [*found, _disruption_budget(workload), network_policy(workload)]


def _service_account(workload: Workload) -> Manifest:
    metadata = workload.metadata()
    if workload.service_account:
        metadata["annotations"] = dict(workload.service_account)
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        "automountServiceAccountToken": False,
    }


def _claim(workload: Workload, cache: CacheVolume) -> Manifest:
    spec: Manifest = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{cache.size_gib}Gi"}},
    }
    if cache.storage_class is not None:
        spec["storageClassName"] = cache.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": workload.metadata(f"{workload.name}-cache"),
        "spec": spec,
    }


def _files(workload: Workload) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": workload.metadata(f"{workload.name}-files"),
        "data": dict(workload.files),
    }


def _service(workload: Workload) -> Manifest:
    ports = [
        {
            "name": "http",
            "port": workload.container.port,
            "targetPort": "http",
            "protocol": "TCP",
        }
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": workload.metadata(),
        "spec": {"type": workload.service_type, "selector": workload.selector, "ports": ports},
    }


def headless_service(workload: Workload) -> Manifest:
    """``<name>-replicas``: the workload's ready pods one by one, a Service without a
    cluster IP whose DNS name has one record per pod (the router resolves it to choose the
    replica itself, e.g. by prompt prefix). The workload's NetworkPolicy still applies."""
    service = _service(workload)
    service["metadata"] = workload.metadata(f"{workload.name}-replicas")
    service["spec"] = {**service["spec"], "clusterIP": "None"}
    return service


def _autoscaler(workload: Workload) -> Manifest:
    target = {"type": "Utilization", "averageUtilization": workload.cpu_target_percent}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": workload.metadata(),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": workload.name,
            },
            "minReplicas": workload.replicas_min,
            "maxReplicas": workload.replicas_max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
            # Model servers take minutes to load: scale down slowly so a brief lull does
            # not throw away a warm replica.
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 600}},
        },
    }


def _disruption_budget(workload: Workload) -> Manifest:
    # maxUnavailable 1 (not minAvailable) so a single-replica server never blocks a
    # node drain forever; with more replicas, drains take one pod at a time.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": workload.metadata(),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": workload.selector}},
    }
