"""A workload (one HTTP service) as plain Kubernetes objects: the dicts ``kubectl apply``
takes, with no Pulumi in sight. ``components.kubernetes.manifests`` is the public entry."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CACHE_MOUNT",
    "FILES_DIGEST_ANNOTATION",
    "GPU_RESOURCE",
    "KUBERNETES_VERSION",
    "ROUTER_POD_LABELS",
    "RUN_AS",
    "CacheVolume",
    "IngressPeer",
    "Manifest",
    "Toleration",
    "Workload",
    "files_digest",
    "headless_service",
    "image_digest",
    "namespace_manifest",
    "workload_manifests",
]

Manifest = dict[str, Any]

KUBERNETES_VERSION = "1.31"
"""The oldest Kubernetes the manifests target (schema-checked against it in the tests)."""
GPU_RESOURCE = "nvidia.com/gpu"
ROUTER_POD_LABELS: Mapping[str, str] = {
    "app.kubernetes.io/part-of": "inferplane",
    "app.kubernetes.io/component": "router",
}
"""Labels of the router's pods: the only pods a model server's NetworkPolicy admits."""

# The server runs as this uid/gid; fsGroup makes PVC caches writable for it.
RUN_AS = 1000
CACHE_MOUNT = "/models"
FILES_DIGEST_ANNOTATION = "inferplane.dev/files-sha256"
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_FILE_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")


def image_digest(image: str) -> str | None:
    """The ``sha256:...`` digest ``image`` is pinned to, if any."""
    match = _DIGEST.search(image)
    return match.group(0)[1:] if match else None


@dataclass(frozen=True)
class Toleration:
    """A node taint the pods tolerate."""

    key: str
    operator: Literal["Equal", "Exists"] = "Exists"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None

    def manifest(self) -> Manifest:
        found = {"key": self.key, "operator": self.operator}
        if self.value is not None:
            found["value"] = self.value
        if self.effect is not None:
            found["effect"] = self.effect
        return found


@dataclass(frozen=True)
class IngressPeer:
    """Pods admitted to a workload's port: ``pod_labels`` in ``namespace``."""

    namespace: str
    pod_labels: Mapping[str, str]


@dataclass(frozen=True)
class EgressPeer:
    """Pods a workload may open connections to: ``pod_labels`` in ``namespace`` on
    ``port`` (TCP), e.g. the router to its model servers."""

    namespace: str
    pod_labels: Mapping[str, str]
    port: int


KUBE_DNS_LABELS: Mapping[str, str] = {"k8s-app": "kube-dns"}
"""Pod labels of the cluster DNS (CoreDNS keeps the kube-dns label on EKS, GKE, AKS, k3s)."""
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
"""Excluded from internet egress: the cluster's own networks and link-local (the cloud
metadata endpoints), so "HTTPS to the internet" never reaches another pod or a node."""


@dataclass(frozen=True)
class CacheVolume:
    """Where the model files live inside the pod (mounted at ``/models``)."""

    kind: Literal["pvc", "hostpath", "emptydir"]
    """A PersistentVolumeClaim (survives restarts and reschedules), a node directory
    (preloaded on edge boxes) or scratch space (downloaded again on every start)."""
    size_gib: int
    """Claim size of a PVC; size limit of an emptyDir; unused for a hostPath."""
    host_path: str = "/var/lib/inferplane/models"
    storage_class: str | None = None
    read_only: bool = False
    """Mount the files read-only: a node directory the operator provisions (an edge
    box's preloaded models). A read-only hostPath must exist (not created empty)."""


@dataclass(frozen=True)
class Workload:
    """One HTTP service on Kubernetes: Deployment, Service, HPA, PDB and NetworkPolicy."""

    name: str
    """Object name of every object (DNS-1035 label)."""
    namespace: str
    component: str
    """``app.kubernetes.io/component``: ``model-server`` or ``router``."""
    image: str
    port: int
    health_path: str
    """HTTP path of the readiness, liveness and startup probes."""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_from_secret: str | None = None
    """Existing Secret whose keys become environment variables (optional at start)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels every object carries (``Labels.kubernetes()``)."""
    replicas_min: int = 1
    replicas_max: int = 1
    """Above ``replicas_min`` an HPA scales the Deployment on CPU utilisation."""
    cpu_target_percent: int = 70
    cpu: str = "500m"
    memory_mib: int = 512
    """Memory request and limit."""
    gpus: int = 0
    runtime_class: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    cache: CacheVolume | None = None
    read_only_root: bool = True
    startup_seconds: int = 60
    """How long the server may take to answer its health path the first time."""
    allow_from: Mapping[str, str] | None = None
    """Pod labels of the only clients admitted by the NetworkPolicy; ``None`` admits any
    pod in the cluster (the router itself, which the cluster's ingress fronts)."""
    allow_from_namespace: str | None = None
    """Namespace of those clients when it is not ``namespace``."""
    allow_namespaces: tuple[str, ...] = ()
    """Namespaces whose pods may connect (the router's declared callers, the ingress
    controller's namespace). With ``allow_from`` and ``allow_cidrs`` empty too, any
    source is admitted on the port (a LoadBalancer on an edge site's LAN)."""
    allow_cidrs: tuple[str, ...] = ()
    """Address ranges that may connect (a load balancer's or LAN's addresses)."""
    egress_to: tuple[EgressPeer, ...] | None = None
    """Pods the workload may connect to, besides the cluster DNS (and the internet when
    ``egress_https_internet``); None leaves egress unrestricted by this policy (only a
    namespace default-deny would restrict it)."""
    egress_https_internet: bool = False
    """May open HTTPS (443) connections to the internet (never to private ranges or
    link-local metadata): model downloads, cloud-API targets."""
    require_digest: bool = True
    """Refuse an image not pinned by digest (``repo[:tag]@sha256:...``)."""
    files: Mapping[str, Any] = field(default_factory=dict)
    """Files (name -> text) mounted read-only at ``files_mount`` from a ConfigMap
    ``<name>-files``. Values are strings, or Pulumi outputs under the Pulumi component."""
    files_mount: str = "/etc/inferplane"
    files_digest: Any = None
    """Pod-template annotation that rolls the pods when ``files`` change; computed here
    when every file is a string."""
    scaler: Mapping[str, Any] | None = None
    """An autoscaler object replacing the CPU HPA (``components.kubernetes.autoscaling``:
    a KEDA ScaledObject or an HPA on an external metric); the Deployment then leaves the
    replica count to it."""
    scrapers: tuple[IngressPeer, ...] = ()
    """Pods that may scrape ``/metrics`` (the Prometheus behind ``scaler``): on
    ``metrics_port`` when set, else on ``port``."""
    metrics_port: int | None = None
    """A second port serving ``/metrics`` only (the router's operator listener), open to
    ``scrapers`` alone; None: the metrics are on ``port``."""
    service_account: Mapping[str, str] | None = None
    """Annotations of a ServiceAccount of its own (named like the workload), e.g. EKS's
    ``eks.amazonaws.com/role-arn``; None runs the pods as the namespace's ``default``
    account. The API token stays unmounted either way: the cloud identity webhooks
    project their own audience-bound token."""
    service_type: Literal["ClusterIP", "LoadBalancer"] = "ClusterIP"
    """``LoadBalancer`` publishes the Service outside the cluster (on k3s, ServiceLB
    answers on the node's own address: an edge site's router)."""

    @property
    def selector(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/component": self.component,
        }

    @property
    def hpa(self) -> bool:
        return self.replicas_max > self.replicas_min

    def check(self) -> None:
        """Raise ValueError naming the field, the value and what is allowed."""
        _check_name("name", self.name)
        _check_name("namespace", self.namespace)
        if not _IMAGE.match(self.image):
            raise ValueError(
                f"image {self.image!r} is not an image reference (repo[:tag][@sha256:<64 hex>])"
            )
        if self.require_digest and image_digest(self.image) is None:
            raise ValueError(
                f"image {self.image!r} is not pinned by digest; allowed: repo[:tag]@sha256:<64 hex>"
                " (or set require_digest=False outside prod)"
            )
        if self.metrics_port is not None and (
            self.metrics_port == self.port or not 1 <= self.metrics_port <= 65535
        ):
            raise ValueError(
                f"metrics_port {self.metrics_port} is not allowed; use 1..65535, not the "
                f"service port {self.port}"
            )
        if self.metrics_port is not None and not self.scrapers:
            raise ValueError("metrics_port needs scrapers: nothing else may reach it")
        checks = (
            ("port", self.port, 1, 65535),
            ("replicas_min", self.replicas_min, 1, 1000),
            ("replicas_max", self.replicas_max, self.replicas_min, 1000),
            ("cpu_target_percent", self.cpu_target_percent, 1, 100),
            ("memory_mib", self.memory_mib, 16, 4 * 1024 * 1024),
            ("gpus", self.gpus, 0, 16),
            ("startup_seconds", self.startup_seconds, 10, 7200),
        )
        for key, value, low, high in checks:
            if not low <= value <= high:
                raise ValueError(f"{key} {value} is out of range; allowed: {low}..{high}")
        if not self.health_path.startswith("/"):
            raise ValueError(f"health_path {self.health_path!r} must start with '/'")
        if not self.files_mount.startswith("/") or self.files_mount in ("/", "/tmp", CACHE_MOUNT):
            raise ValueError(
                f"files_mount {self.files_mount!r} must be an absolute path other than /, "
                f"/tmp and {CACHE_MOUNT}"
            )
        for key in self.files:
            if not _FILE_KEY.match(key):
                raise ValueError(
                    f"files key {key!r} is not a ConfigMap key; allowed: letters, digits, "
                    "'-', '_' and '.', at most 253 characters"
                )
        for namespace in self.allow_namespaces:
            _check_name("allow_namespaces", namespace)
        if self.egress_https_internet and self.egress_to is None:
            raise ValueError(
                "egress_https_internet needs egress_to: egress is unrestricted without it "
                "(use egress_to=() for DNS and HTTPS only)"
            )
        for peer in self.egress_to or ():
            _check_name("egress_to.namespace", peer.namespace)
            if not 1 <= peer.port <= 65535 or not peer.pod_labels:
                raise ValueError(
                    f"egress_to {peer!r} is not allowed; name pod labels and a port 1..65535"
                )
        for cidr in self.allow_cidrs:
            if not _CIDR.match(cidr):
                raise ValueError(f"allow_cidrs entry {cidr!r} is not an IPv4 CIDR (a.b.c.d/n)")
        if self.cache is not None and not 1 <= self.cache.size_gib <= 65536:
            raise ValueError(
                f"cache.size_gib {self.cache.size_gib} is out of range; allowed: 1..65536"
            )


def _check_name(key: str, value: str) -> None:
    if not _DNS_1035.match(value):
        raise ValueError(
            f"{key} {value!r} is not a Kubernetes name; allowed: lowercase letters, digits "
            "and '-', starting with a letter, at most 63 characters"
        )


def namespace_manifest(
    name: str,
    labels: Mapping[str, str],
    enforce: Literal["baseline", "privileged"] = "baseline",
) -> Manifest:
    """The namespace, labelled for the restricted Pod Security Standard where it can be.

    GPU pods mount nothing privileged here (the device plugin injects devices), so the
    namespace enforces ``baseline`` and warns on ``restricted``. Pods mounting a node
    directory (a ``hostpath`` cache) need ``privileged``: baseline forbids hostPath."""
    _check_name("namespace", name)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **labels,
                "pod-security.kubernetes.io/enforce": enforce,
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
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
    cache = workload.cache
    if cache is not None and cache.kind == "pvc":
        found.append(_claim(workload, cache))
    found += [_deployment(workload), _service(workload)]
    if workload.scaler is not None:
        found.append(dict(workload.scaler))
    elif workload.hpa:
        found.append(_autoscaler(workload))
    found += [_disruption_budget(workload), _network_policy(workload)]
    return found


def _service_account(workload: Workload) -> Manifest:
    metadata = _metadata(workload)
    if workload.service_account:
        metadata["annotations"] = dict(workload.service_account)
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        "automountServiceAccountToken": False,
    }


def _metadata(workload: Workload, name: str | None = None) -> Manifest:
    return {
        "name": name or workload.name,
        "namespace": workload.namespace,
        "labels": _labels(workload),
    }


def _labels(workload: Workload) -> dict[str, str]:
    return {
        **workload.labels,
        **workload.selector,
        "app.kubernetes.io/name": workload.name,
        "app.kubernetes.io/part-of": "inferplane",
        "app.kubernetes.io/managed-by": "inferplane",
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
        "metadata": _metadata(workload, f"{workload.name}-cache"),
        "spec": spec,
    }


def _deployment(workload: Workload) -> Manifest:
    spec: Manifest = {
        "selector": {"matchLabels": workload.selector},
        "strategy": _strategy(workload),
        "template": {
            "metadata": _template_metadata(workload),
            "spec": _pod(workload),
        },
    }
    if not workload.hpa and workload.scaler is None:
        # With an HPA the replica count is the HPA's: a fixed count here would fight it.
        spec["replicas"] = workload.replicas_min
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(workload),
        "spec": spec,
    }


def _template_metadata(workload: Workload) -> Manifest:
    found: Manifest = {"labels": _labels(workload)}
    if workload.files:
        digest = workload.files_digest or files_digest(workload.files)
        found["annotations"] = {FILES_DIGEST_ANNOTATION: digest}
    return found


def files_digest(files: Mapping[str, str]) -> str:
    """sha256 over the files' names and contents."""
    canonical = json.dumps(dict(files), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _files(workload: Workload) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(workload, f"{workload.name}-files"),
        "data": dict(workload.files),
    }


def _strategy(workload: Workload) -> Manifest:
    if workload.gpus or (workload.cache is not None and workload.cache.kind == "pvc"):
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
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(workload)],
        "volumes": _volumes(workload),
    }
    if workload.service_account is not None:
        pod["serviceAccountName"] = workload.name
    if workload.gpus and workload.runtime_class:
        pod["runtimeClassName"] = workload.runtime_class
    if workload.node_selector:
        pod["nodeSelector"] = dict(workload.node_selector)
    if workload.tolerations:
        pod["tolerations"] = [t.manifest() for t in workload.tolerations]
    return pod


def _container(workload: Workload) -> Manifest:
    env = {"HOME": "/tmp", **workload.env}
    container: Manifest = {
        "name": workload.component,
        "image": workload.image,
        # A digest never changes, so the node's copy is the image; a tag may move.
        "imagePullPolicy": "IfNotPresent" if image_digest(workload.image) else "Always",
        "ports": [
            {"name": "http", "containerPort": workload.port, "protocol": "TCP"},
            *(
                [{"name": "metrics", "containerPort": workload.metrics_port, "protocol": "TCP"}]
                if workload.metrics_port is not None
                else []
            ),
        ],
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "resources": _resources(workload),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": workload.read_only_root,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "startupProbe": _probe(
            workload, period=10, failures=math.ceil(workload.startup_seconds / 10)
        ),
        "readinessProbe": _probe(workload, period=10, failures=3),
        "livenessProbe": _probe(workload, period=20, failures=3),
        "volumeMounts": _mounts(workload),
    }
    if workload.args:
        container["args"] = list(workload.args)
    if workload.env_from_secret:
        container["envFrom"] = [{"secretRef": {"name": workload.env_from_secret, "optional": True}}]
    return container


def _probe(workload: Workload, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": workload.health_path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _resources(workload: Workload) -> Manifest:
    requests: dict[str, str] = {"cpu": workload.cpu, "memory": f"{workload.memory_mib}Mi"}
    limits: dict[str, str] = {"memory": f"{workload.memory_mib}Mi"}
    if workload.gpus:
        # Extended resources are not overcommitted: request and limit must match.
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(workload.gpus)
    return {"requests": requests, "limits": limits}


def _volumes(workload: Workload) -> list[Manifest]:
    volumes: list[Manifest] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    if workload.gpus:
        # NCCL and the engines' worker processes share tensors through /dev/shm, which
        # is 64 MiB in a container by default.
        volumes.append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}})
    if workload.files:
        volumes.append({"name": "files", "configMap": {"name": f"{workload.name}-files"}})
    cache = workload.cache
    if cache is None:
        return volumes
    if cache.kind == "pvc":
        source: Manifest = {"persistentVolumeClaim": {"claimName": f"{workload.name}-cache"}}
    elif cache.kind == "hostpath":
        kind = "Directory" if cache.read_only else "DirectoryOrCreate"
        source = {"hostPath": {"path": cache.host_path, "type": kind}}
    else:
        source = {"emptyDir": {"sizeLimit": f"{cache.size_gib}Gi"}}
    volumes.append({"name": "models", **source})
    return volumes


def _mounts(workload: Workload) -> list[Manifest]:
    mounts: list[Manifest] = [{"name": "tmp", "mountPath": "/tmp"}]
    if workload.gpus:
        mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    if workload.files:
        mounts.append({"name": "files", "mountPath": workload.files_mount, "readOnly": True})
    if workload.cache is not None:
        mount: Manifest = {"name": "models", "mountPath": CACHE_MOUNT}
        if workload.cache.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
    return mounts


def _service(workload: Workload) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(workload),
        "spec": {
            "type": workload.service_type,
            "selector": workload.selector,
            "ports": [
                {"name": "http", "port": workload.port, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }


def headless_service(workload: Workload) -> Manifest:
    """``<name>-replicas``: the workload's ready pods one by one, a Service without a
    cluster IP whose DNS name has one record per pod (the router resolves it to choose the
    replica itself, e.g. by prompt prefix). The workload's NetworkPolicy still applies."""
    service = _service(workload)
    service["metadata"] = _metadata(workload, f"{workload.name}-replicas")
    service["spec"] = {**service["spec"], "clusterIP": "None"}
    return service


def _autoscaler(workload: Workload) -> Manifest:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(workload),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": workload.name,
            },
            "minReplicas": workload.replicas_min,
            "maxReplicas": workload.replicas_max,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": workload.cpu_target_percent,
                        },
                    },
                }
            ],
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
        "metadata": _metadata(workload),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": workload.selector}},
    }


def default_deny_manifest(namespace: str, labels: Mapping[str, str]) -> Manifest:
    """The namespace's default: no pod receives or opens any connection unless a
    workload's own NetworkPolicy allows it (policies add up)."""
    _check_name("namespace", namespace)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": namespace, "labels": dict(labels)},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def _network_policy(workload: Workload) -> Manifest:
    ingress: Manifest = {"ports": [{"port": workload.port, "protocol": "TCP"}]}
    peers: list[Manifest] = []
    if workload.allow_from is not None:
        peer: Manifest = {"podSelector": {"matchLabels": dict(workload.allow_from)}}
        if workload.allow_from_namespace not in (None, workload.namespace):
            peer["namespaceSelector"] = {
                "matchLabels": _namespace_labels(workload.allow_from_namespace)
            }
        peers.append(peer)
    peers += [
        {"namespaceSelector": {"matchLabels": _namespace_labels(namespace)}}
        for namespace in workload.allow_namespaces
    ]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in workload.allow_cidrs]
    scrapers = [
        {
            "namespaceSelector": {"matchLabels": _namespace_labels(peer.namespace)},
            "podSelector": {"matchLabels": dict(peer.pod_labels)},
        }
        for peer in workload.scrapers
    ]
    rules = [ingress]
    if workload.metrics_port is None:
        peers += scrapers
    else:
        # The metrics port is the scrapers' alone; they get nothing on the service port.
        rules.append(
            {"ports": [{"port": workload.metrics_port, "protocol": "TCP"}], "from": scrapers}
        )
    if peers:
        ingress["from"] = peers
    spec: Manifest = {
        "podSelector": {"matchLabels": workload.selector},
        "policyTypes": ["Ingress"],
        "ingress": rules,
    }
    if workload.egress_to is not None:
        spec["policyTypes"] = ["Ingress", "Egress"]
        spec["egress"] = _egress(workload, workload.egress_to)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(workload),
        "spec": spec,
    }


def _namespace_labels(namespace: str | None) -> dict[str, str]:
    # Set by the API server on every namespace since Kubernetes 1.22.
    return {"kubernetes.io/metadata.name": str(namespace)}


def _egress(workload: Workload, peers: tuple[EgressPeer, ...]) -> list[Manifest]:
    rules: list[Manifest] = [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": _namespace_labels("kube-system")},
                    "podSelector": {"matchLabels": dict(KUBE_DNS_LABELS)},
                }
            ],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }
    ]
    for peer in peers:
        to: Manifest = {"podSelector": {"matchLabels": dict(peer.pod_labels)}}
        if peer.namespace != workload.namespace:
            to["namespaceSelector"] = {"matchLabels": _namespace_labels(peer.namespace)}
        rules.append({"to": [to], "ports": [{"port": peer.port, "protocol": "TCP"}]})
    if workload.egress_https_internet:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                "ports": [{"port": 443, "protocol": "TCP"}],
            }
        )
    return rules
