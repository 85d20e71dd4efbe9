"""A workload's Deployment: the pod (security context, volumes, scheduling) and its one
container (from the ``ContainerSpec``: image, command, args, env, probes, resources)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

from inferplane.components.kubernetes.workload_spec import (
    CACHE_MOUNT,
    GPU_RESOURCE,
    RUN_AS,
    CacheVolume,
    Manifest,
    Workload,
    image_digest,
)

__all__ = ["FILES_DIGEST_ANNOTATION", "cpu_quantity", "deployment", "files_digest"]

FILES_DIGEST_ANNOTATION = "inferplane.dev/files-sha256"
_POD_SECURITY: Manifest = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS,
    "runAsGroup": RUN_AS,
    "fsGroup": RUN_AS,
    "fsGroupChangePolicy": "OnRootMismatch",
    "seccompProfile": {"type": "RuntimeDefault"},
}


def files_digest(files: Mapping[str, str]) -> str:
    """sha256 over the files' names and contents."""
    canonical = json.dumps(dict(files), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def cpu_quantity(cpu: float) -> str:
    """``cpu`` vCPUs as a Kubernetes quantity: whole CPUs as ``"2"``, else millicores."""
    return str(int(cpu)) if cpu == int(cpu) else f"{round(cpu * 1000)}m"


def deployment(workload: Workload) -> Manifest:
    spec: Manifest = {
        "selector": {"matchLabels": workload.selector},
        "strategy": _strategy(workload),
        "template": {"metadata": _template_metadata(workload), "spec": _pod(workload)},
    }
    if not workload.hpa and workload.scaler is None:
        # With an HPA the replica count is the HPA's: a fixed count here would fight it.
        spec["replicas"] = workload.replicas_min
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": workload.metadata(),
        "spec": spec,
    }


def _template_metadata(workload: Workload) -> Manifest:
    found: Manifest = {"labels": workload.object_labels}
    if workload.files:
        digest = workload.files_digest or files_digest(workload.files)
        found["annotations"] = {FILES_DIGEST_ANNOTATION: digest}
    return found


def _strategy(workload: Workload) -> Manifest:
    gpus = workload.container.resources.gpus
    if gpus or (workload.cache is not None and workload.cache.kind == "pvc"):
        # A surge pod would need a spare GPU (rarely there) or the ReadWriteOnce cache
        # (held by the old pod): replace one pod at a time instead.
        rolling = {"maxSurge": 0, "maxUnavailable": 1}
    else:
        rolling = {"maxSurge": 1, "maxUnavailable": 0}
    return {"type": "RollingUpdate", "rollingUpdate": rolling}


def _pod(workload: Workload) -> Manifest:
    pod: Manifest = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 60,
        "securityContext": dict(_POD_SECURITY),
        "containers": [_container(workload)],
        "volumes": _volumes(workload),
    }
    if workload.service_account is not None:
        pod["serviceAccountName"] = workload.name
    if workload.container.resources.gpus and workload.runtime_class:
        pod["runtimeClassName"] = workload.runtime_class
    if workload.node_selector:
        pod["nodeSelector"] = dict(workload.node_selector)
    if workload.tolerations:
        pod["tolerations"] = [t.manifest() for t in workload.tolerations]
    return pod


def _container(workload: Workload) -> Manifest:
    spec = workload.container
    container: Manifest = {
        "name": workload.component,
        "image": spec.image,
        # A digest never changes, so the node's copy is the image; a tag may move.
        "imagePullPolicy": "IfNotPresent" if image_digest(spec.image) else "Always",
        "ports": _ports(workload),
        "env": [{"name": k, "value": v} for k, v in sorted({"HOME": "/tmp", **spec.env}.items())],
        "resources": _resources(workload),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": workload.read_only_root,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        **_probes(workload),
        "volumeMounts": _mounts(workload),
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if workload.env_from_secret:
        container["envFrom"] = [{"secretRef": {"name": workload.env_from_secret, "optional": True}}]
    return container


def _ports(workload: Workload) -> list[Manifest]:
    ports = [{"name": "http", "containerPort": workload.container.port, "protocol": "TCP"}]
    if workload.metrics_port is not None:
        ports.append({"name": "metrics", "containerPort": workload.metrics_port, "protocol": "TCP"})
    return ports


def _probes(workload: Workload) -> Manifest:
    startup_failures = math.ceil(workload.startup_seconds / 10)
    return {
        "startupProbe": _probe(workload, period=10, failures=startup_failures),
        "readinessProbe": _probe(workload, period=10, failures=3),
        "livenessProbe": _probe(workload, period=20, failures=3),
    }


def _probe(workload: Workload, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": workload.container.health_path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _resources(workload: Workload) -> Manifest:
    memory, resources = f"{workload.memory_mib}Mi", workload.container.resources
    requests: dict[str, str] = {"cpu": cpu_quantity(resources.cpu), "memory": memory}
    limits: dict[str, str] = {"memory": memory}
    if resources.gpus:
        # Extended resources are not overcommitted: request and limit must match.
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(resources.gpus)
    return {"requests": requests, "limits": limits}


def _volumes(workload: Workload) -> list[Manifest]:
    volumes: list[Manifest] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    if workload.container.resources.gpus:
        # NCCL and the engines' worker processes share tensors through /dev/shm, which
        # is 64 MiB in a container by default.
        volumes.append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}})
    if workload.files:
        volumes.append({"name": "files", "configMap": {"name": f"{workload.name}-files"}})
    if workload.cache is not None:
        volumes.append({"name": "models", **_cache_source(workload.name, workload.cache)})
    return volumes


def _cache_source(name: str, cache: CacheVolume) -> Manifest:
    if cache.kind == "pvc":
        return {"persistentVolumeClaim": {"claimName": f"{name}-cache"}}
    if cache.kind == "hostpath":
        kind = "Directory" if cache.read_only else "DirectoryOrCreate"
        return {"hostPath": {"path": cache.host_path, "type": kind}}
    return {"emptyDir": {"sizeLimit": f"{cache.size_gib}Gi"}}


def _mounts(workload: Workload) -> list[Manifest]:
    mounts: list[Manifest] = [{"name": "tmp", "mountPath": "/tmp"}]
    if workload.container.resources.gpus:
        mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    if workload.files:
        mounts.append({"name": "files", "mountPath": workload.files_mount, "readOnly": True})
    if workload.cache is not None:
        mount: Manifest = {"name": "models", "mountPath": CACHE_MOUNT}
        if workload.cache.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
    return mounts
