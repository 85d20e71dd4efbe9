"""What one HTTP service on Kubernetes is (``Workload``), the peers its NetworkPolicy
names, and the checks that refuse a workload the cluster would refuse or that would be
open by accident. Pure data: no Pulumi, no rendering."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inferplane.components.container import ContainerSpec

__all__ = [
    "CACHE_MOUNT",
    "GPU_RESOURCE",
    "KUBERNETES_VERSION",
    "ROUTER_POD_LABELS",
    "RUN_AS",
    "CacheVolume",
    "CidrEgress",
    "EgressPeer",
    "IngressPeer",
    "Manifest",
    "Toleration",
    "Workload",
    "check_name",
    "image_digest",
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
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_FILE_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")
_MAX_MEMORY_MIB = 4 * 1024 * 1024


def image_digest(image: str) -> str | None:
    """The ``sha256:...`` digest ``image`` is pinned to, if any."""
    match = _DIGEST.search(image)
    return match.group(0)[1:] if match else None


def check_name(key: str, value: str) -> None:
    """Refuse ``value`` unless it is a DNS-1035 label (what object names must be)."""
    if not _DNS_1035.match(value):
        raise ValueError(
            f"{key} {value!r} is not a Kubernetes name; allowed: lowercase letters, digits "
            "and '-', starting with a letter, at most 63 characters"
        )


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


@dataclass(frozen=True)
class CidrEgress:
    """Address ranges a workload may open connections to on ``ports`` (TCP), e.g. the
    router to its managed Redis in the cluster's VPC."""

    cidrs: Any
    """The ranges: a sequence of CIDR strings, or a Pulumi output of one."""
    ports: tuple[int, ...]


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
    container: ContainerSpec
    """What runs: image, command, args, port, env, the HTTP path of the readiness,
    liveness and startup probes (required here), and the CPU, memory (request and limit)
    and GPUs of each pod."""
    env_from_secret: str | None = None
    """Existing Secret whose keys become environment variables (optional at start)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels every object carries (``Labels.kubernetes()``)."""
    replicas_min: int = 1
    replicas_max: int = 1
    """Above ``replicas_min`` an HPA scales the Deployment on CPU utilisation."""
    cpu_target_percent: int = 70
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
    egress_cidrs: tuple[CidrEgress, ...] = ()
    """Address ranges it may connect to besides (needs ``egress_to``)."""
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
    ``metrics_port`` when set, else on the container's port."""
    metrics_port: int | None = None
    """A second port serving ``/metrics`` only (the router's operator listener), open to
    ``scrapers`` alone; None: the metrics are on the container's port."""
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

    @property
    def memory_mib(self) -> int:
        """Memory request and limit of each pod, in MiB."""
        return round(self.container.resources.memory_gib * 1024)

    def metadata(self, name: str | None = None) -> Manifest:
        """``metadata`` of one of its objects (named ``name``, else like the workload)."""
        return {
            "name": name or self.name,
            "namespace": self.namespace,
            "labels": self.object_labels,
        }

    @property
    def object_labels(self) -> dict[str, str]:
        """Labels of every object and pod of the workload."""
        return {
            **self.labels,
            **self.selector,
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/part-of": "inferplane",
            "app.kubernetes.io/managed-by": "inferplane",
        }

    def check(self) -> None:
        """Raise ValueError naming the field, the value and what is allowed."""
        check_name("name", self.name)
        check_name("namespace", self.namespace)
        _check_image(self.container.image, self.require_digest)
        _check_ports(self)
        _check_ranges(self)
        _check_paths(self)
        _check_network(self)
        if self.cache is not None and not 1 <= self.cache.size_gib <= 65536:
            raise ValueError(
                f"cache.size_gib {self.cache.size_gib} is out of range; allowed: 1..65536"
            )


def _check_image(image: str, require_digest: bool) -> None:
    if not _IMAGE.match(image):
        raise ValueError(
            f"container.image {image!r} is not an image reference (repo[:tag][@sha256:<64 hex>])"
        )
    if require_digest and image_digest(image) is None:
        raise ValueError(
            f"container.image {image!r} is not pinned by digest; allowed: "
            "repo[:tag]@sha256:<64 hex> (or set require_digest=False outside prod)"
        )


def _check_ports(workload: Workload) -> None:
    port, metrics = workload.container.port, workload.metrics_port
    if metrics is not None and (metrics == port or not 1 <= metrics <= 65535):
        raise ValueError(
            f"metrics_port {metrics} is not allowed; use 1..65535, not the service port {port}"
        )
    if metrics is not None and not workload.scrapers:
        raise ValueError("metrics_port needs scrapers: nothing else may reach it")


def _check_ranges(workload: Workload) -> None:
    resources = workload.container.resources
    checks: tuple[tuple[str, float, float, float], ...] = (
        ("container.port", workload.container.port, 1, 65535),
        ("replicas_min", workload.replicas_min, 1, 1000),
        ("replicas_max", workload.replicas_max, workload.replicas_min, 1000),
        ("cpu_target_percent", workload.cpu_target_percent, 1, 100),
        ("container.resources.cpu", resources.cpu, 0.001, 1024),
        ("container.resources.memory_gib", resources.memory_gib, 1 / 64, _MAX_MEMORY_MIB / 1024),
        ("container.resources.gpus", resources.gpus, 0, 16),
        ("startup_seconds", workload.startup_seconds, 10, 7200),
    )
    for key, value, low, high in checks:
        if not low <= value <= high:
            raise ValueError(f"{key} {value:g} is out of range; allowed: {low:g}..{high:g}")


def _check_paths(workload: Workload) -> None:
    health = workload.container.health_path
    if health is None or not health.startswith("/"):
        raise ValueError(
            f"container.health_path {health!r} is not allowed; the pods are probed over "
            "HTTP: a path starting with '/'"
        )
    mount = workload.files_mount
    if not mount.startswith("/") or mount in ("/", "/tmp", CACHE_MOUNT):
        raise ValueError(
            f"files_mount {mount!r} must be an absolute path other than /, /tmp and {CACHE_MOUNT}"
        )
    for key in workload.files:
        if not _FILE_KEY.match(key):
            raise ValueError(
                f"files key {key!r} is not a ConfigMap key; allowed: letters, digits, "
                "'-', '_' and '.', at most 253 characters"
            )


def _check_network(workload: Workload) -> None:
    for namespace in workload.allow_namespaces:
        check_name("allow_namespaces", namespace)
    if workload.egress_https_internet and workload.egress_to is None:
        raise ValueError(
            "egress_https_internet needs egress_to: egress is unrestricted without it "
            "(use egress_to=() for DNS and HTTPS only)"
        )
    for peer in workload.egress_to or ():
        check_name("egress_to.namespace", peer.namespace)
        if not 1 <= peer.port <= 65535 or not peer.pod_labels:
            raise ValueError(
                f"egress_to {peer!r} is not allowed; name pod labels and a port 1..65535"
            )
    if workload.egress_cidrs and workload.egress_to is None:
        raise ValueError("egress_cidrs needs egress_to: egress is unrestricted without it")
    for egress in workload.egress_cidrs:
        if not egress.ports or not all(1 <= port <= 65535 for port in egress.ports):
            raise ValueError(f"egress_cidrs ports {egress.ports!r}: allowed: 1..65535, one or more")
        if isinstance(egress.cidrs, str) or not _known_cidrs(egress.cidrs):
            raise ValueError(f"egress_cidrs {egress.cidrs!r}: allowed: IPv4 CIDRs (a.b.c.d/n)")
    for cidr in workload.allow_cidrs:
        if not _CIDR.match(cidr):
            raise ValueError(f"allow_cidrs entry {cidr!r} is not an IPv4 CIDR (a.b.c.d/n)")


def _known_cidrs(cidrs: Any) -> bool:
    """Whether ``cidrs`` are IPv4 CIDRs (an output is checked by its producer)."""
    if hasattr(cidrs, "apply"):
        return True
    return all(isinstance(c, str) and _CIDR.match(c) for c in cidrs)
