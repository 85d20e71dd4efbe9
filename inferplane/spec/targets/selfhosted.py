"""Self-hosted target kinds that run anywhere: Kubernetes model servers and edge sites."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from inferplane.residency import Location
from inferplane.spec.base import Name, SpecModel, SpecPath
from inferplane.spec.capacity import Scaling
from inferplane.spec.fleet import HOST_KEY_PATTERN, HOST_PATTERN, EdgeFleet, FleetMember, Rollout
from inferplane.spec.regions import is_region
from inferplane.spec.router import SecretLocation
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import TargetBase

__all__ = [
    "EDGE_PROFILES",
    "ClusterRef",
    "EdgeSsh",
    "EdgeTarget",
    "GpuNodePool",
    "KubernetesScaling",
    "KubernetesTarget",
    "Prometheus",
    "Toleration",
    "cache_floor_gib",
]

EDGE_PROFILES = ("jetson-orin", "x86-nvidia", "cpu", "apple-m")

_CONFIG_KEY = r"^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z][A-Za-z0-9_.-]*$"


class ClusterRef(SpecModel):
    """A Kubernetes cluster: its kubeconfig (a secret stack config key) and where it runs."""

    kubeconfig: str = Field(default="inferplane:kubeconfig", pattern=_CONFIG_KEY)
    """Stack config key holding the kubeconfig (set it with ``pulumi config set --secret``)."""
    cloud: Literal["aws", "gcp", "azure", "onprem"]
    region: str | None = None
    """Cloud region of a managed cluster (EKS/GKE/AKS)."""
    site: Name | None = None
    """Edge site of an on-premises cluster (k3s)."""
    name: str | None = Field(default=None, pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
    """The managed cluster's name. On EKS a router beside the model server gets its AWS
    identity (for Bedrock/SageMaker/Lambda targets) from EKS Pod Identity on it."""

    @model_validator(mode="after")
    def _placed(self) -> ClusterRef:
        if self.cloud == "onprem":
            if self.site is None or self.region is not None:
                raise ValueError("an onprem cluster needs site (and no region)")
        elif self.region is None or not is_region(self.cloud, self.region):
            raise ValueError(
                f"a {self.cloud} cluster needs region, a real {self.cloud} region"
                f" (got {self.region!r})"
            )
        return self


class Toleration(SpecModel):
    """A taint the model server's pods tolerate (GPU node pools are usually tainted)."""

    key: str = Field(min_length=1, max_length=253)
    operator: Literal["Equal", "Exists"] = "Exists"
    value: str | None = None
    """Taint value; only with ``operator: Equal``."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to tolerate; all effects when absent."""

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Toleration:
        if self.operator == "Exists" and self.value is not None:
            raise ValueError(f"operator 'Exists' takes no value (got {self.value!r})")
        if self.operator == "Equal" and self.value is None:
            raise ValueError("operator 'Equal' needs value")
        return self


def cache_floor_gib(model: str, serving: Serving) -> float | None:
    """GiB of weights the model cache must hold, if the model's size is known."""
    from inferplane.serving import weights_gib
    from inferplane.serving.memory import params_from_name

    params = serving.params_b or params_from_name(model)
    return None if params is None else weights_gib(params, serving.quantization)


class GpuNodePool(SpecModel):
    """GPU nodes from Karpenter on EKS: an on-demand base pool and a pool that prefers
    spot and falls back to on-demand (docs/capacity.md). The pods select the pools'
    label and tolerate their ``nvidia.com/gpu`` taint."""

    instance_types: tuple[str, ...] = Field(min_length=1, max_length=20)
    """EC2 GPU types of equal GPUs (count and memory) and architecture, primary first."""
    on_demand_base: int = Field(default=1, ge=0)
    """Nodes always on demand."""
    max_nodes: int = Field(ge=1, le=1000)
    """Nodes of both pools together, at most."""
    node_class: str = Field(default="default", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    """The cluster's Karpenter ``EC2NodeClass`` (subnets over the zones, AMI, role)."""
    expire_after: str = Field(default="24h", pattern=r"^([0-9]+(s|m|h))+$")
    """Lifetime of spot-pool nodes: an on-demand fallback node is replaced (by spot
    if EC2 has it) within this."""

    @model_validator(mode="after")
    def _one_pool(self) -> GpuNodePool:
        from inferplane.catalog.spot_pool import spot_pool_issue

        first, *rest = self.instance_types
        issue = spot_pool_issue(first, rest)
        if issue is not None:
            raise ValueError(f"instance_types: {issue}")
        if self.on_demand_base > self.max_nodes:
            raise ValueError(
                f"on_demand_base {self.on_demand_base} is above max_nodes {self.max_nodes}"
            )
        return self


class Prometheus(SpecModel):
    """The Prometheus that scrapes the model server (KEDA's trigger queries it)."""

    url: str = Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._/-]*)?$")
    """Query URL, e.g. ``http://prometheus-server.monitoring.svc:9090``."""
    namespace: Name = "monitoring"
    """Namespace of the Prometheus pods: the server's NetworkPolicy admits them."""
    pod_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "prometheus"}, min_length=1
    )
    """Labels of the Prometheus pods (only they may scrape, not the whole namespace)."""


class KubernetesScaling(Scaling):
    """Replica bounds and the signal a Kubernetes model server scales on."""

    signal: Literal["queue", "kv_cache", "cpu"] = "cpu"
    """``queue``: requests waiting in the engine (vLLM, TGI, llama.cpp); ``kv_cache``: KV
    cache fill (vLLM); ``cpu``: the plain HPA on CPU utilisation. ``target`` is waiting
    requests per replica, a cache fraction (0-1) or a CPU %, defaulting from the engine's
    batch size (queue), 0.8 (kv_cache) or 70 (cpu)."""
    keda: bool = True
    """LLM signals: a KEDA ScaledObject (Prometheus trigger; ``min: 0`` allowed outside
    prod); false: an HPA on the external metric (a Prometheus adapter must serve it)."""
    prometheus: Prometheus | None = None
    """Required for ``queue`` and ``kv_cache``."""

    @model_validator(mode="after")
    def _signal_needs(self) -> KubernetesScaling:
        if self.signal == "cpu":
            if self.prometheus is not None:
                raise ValueError("prometheus is only used with signal queue or kv_cache")
            return self
        if self.prometheus is None:
            raise ValueError(f"signal {self.signal!r} needs prometheus (url, namespace)")
        if self.signal == "kv_cache" and self.target is not None and self.target > 1:
            raise ValueError(
                f"target {self.target}: a kv_cache target is a fraction; allowed: 0 < target <= 1"
            )
        return self


class KubernetesTarget(TargetBase):
    """Self-hosted: a model server Deployment on any Kubernetes cluster."""

    kind: Literal["kubernetes"]
    cluster: ClusterRef
    namespace: Name = "inference"
    """Namespace of the model server (and of a router deployed beside it); one model
    server per namespace and cluster."""
    serving: Serving
    scaling: KubernetesScaling = KubernetesScaling()
    gpus: int = Field(default=1, ge=0, le=16)
    runtime_class: str | None = "nvidia"
    """RuntimeClass of the pods (``nvidia`` on clusters with the NVIDIA container toolkit's
    runtime class); ignored without GPUs."""
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    cache: Literal["pvc", "hostpath", "emptydir"] = "pvc"
    cache_gb: int | None = Field(default=None, ge=1, le=16384)
    """GiB of model cache; default: the weights plus 25% (100 if the size is unknown)."""
    cache_host_path: SpecPath = "/var/lib/inferplane/models"
    """Node directory of a ``hostpath`` cache (owned by uid 1000, the server's user)."""
    storage_class: str | None = None
    """StorageClass of a ``pvc`` cache; the cluster default when absent."""
    model_secret: Name | None = None
    """Existing Secret in the namespace whose keys become the server's environment
    (e.g. ``HF_TOKEN`` for gated Hugging Face models)."""
    replica_routing: Literal["service", "prefix", "round_robin"] = "service"
    """How the router spreads requests over the replicas: ``service`` through the
    Service's own balancing; ``prefix`` to the replica whose KV cache holds the longest
    prefix of the prompt (within a load bound); ``round_robin`` in turn. The last two
    create a headless Service whose DNS records the router resolves (the router must run
    in the cluster: ``router.platform: kubernetes``)."""
    node_pool: GpuNodePool | None = None
    """Karpenter NodePools for the GPU nodes (EKS clusters running Karpenter); absent:
    the cluster's own nodes, chosen by ``node_selector``."""

    @model_validator(mode="after")
    def _fits_cluster(self) -> KubernetesTarget:
        scaling = self.scaling
        if self.replica_routing != "service" and scaling.max < 2:
            raise ValueError(
                f"replica_routing {self.replica_routing!r}: scaling.max is {scaling.max}; "
                "choosing among replicas needs scaling.max >= 2 (or replica_routing: service)"
            )
        if scaling.min < 1 and (scaling.signal == "cpu" or not scaling.keda):
            raise ValueError(
                f"scaling.min {scaling.min}: a Kubernetes model server keeps at least "
                "1 replica (HPA scale-to-zero is an alpha feature); allowed: >= 1, or 0 "
                "with a KEDA signal (queue, kv_cache) outside prod"
            )
        from inferplane.catalog.engine_metrics import ENGINE_SIGNALS

        signals = ENGINE_SIGNALS.get(self.serving.engine, ())
        if scaling.signal != "cpu" and scaling.signal not in signals:
            raise ValueError(
                f"scaling.signal {scaling.signal!r}: engine {self.serving.engine!r} exposes no"
                f" such metric; allowed: cpu{''.join(', ' + s for s in signals)}"
            )
        if self.node_pool is not None:
            if self.cluster.cloud != "aws":
                raise ValueError(
                    f"node_pool: Karpenter NodePools here use EC2NodeClass (EKS); cluster"
                    f" cloud is {self.cluster.cloud!r}; allowed: aws"
                )
            if self.node_selector:
                raise ValueError(
                    f"node_selector {self.node_selector}: with node_pool the pods select the"
                    " pool's nodes; Karpenter cannot launch nodes for a label it does not know"
                    " (GPU feature discovery labels appear only after boot)"
                )
            if self.gpus < 1:
                raise ValueError("node_pool: the server requests no GPU (gpus 0)")
        floor = cache_floor_gib(self.model, self.serving)
        if self.cache_gb is not None and floor is not None and self.cache_gb < floor:
            raise ValueError(
                f"cache_gb {self.cache_gb} is smaller than the model's weights "
                f"({floor:.1f} GiB at {self.serving.quantization}); allowed: >= {floor:.0f}"
            )
        return self

    @property
    def location(self) -> Location:
        if self.cluster.cloud == "onprem":
            return Location("edge", None, self.cluster.site)
        return Location("cloud", self.cluster.cloud, self.cluster.region)


class EdgeSsh(SpecModel):
    """Deploy an edge bundle to the site over SSH (``pulumi-command``)."""

    user: str = Field(default="inferplane", pattern=r"^[a-z_][a-z0-9_-]{0,31}$")
    """Login user; anyone but root needs passwordless ``sudo``."""
    port: int = Field(default=22, ge=1, le=65535)
    private_key: str = Field(default="inferplane:edgeSshKey", pattern=_CONFIG_KEY)
    """Stack config key holding the private key (``pulumi config set --secret``)."""
    host_key: str | None = Field(default=None, pattern=HOST_KEY_PATTERN)
    """The site's public host key (``ssh-keyscan``); required (here, or per fleet site as
    ``host_key``), so the key is verified instead of trusted on first use."""
    install_dir: SpecPath = "/opt/inferplane"
    """Where releases are unpacked on the site."""


class EdgeTarget(TargetBase):
    """On premises: a model server in an edge image, deployed to a named site, or to each
    site of a ``fleet`` (``inferplane.spec.fleet``: expanded into one target per site)."""

    kind: Literal["edge"]
    site: Name | None = None
    """The site; exactly one of ``site`` and ``fleet``."""
    fleet: EdgeFleet | None = None
    """Many sites sharing this entry's profile, model and serving."""
    rollout: Rollout | None = None
    """Waves of a fleet's rollout (default: one site, then the rest)."""
    profile: Literal["jetson-orin", "x86-nvidia", "cpu", "apple-m"]
    serving: Serving
    address: str | None = Field(default=None, pattern=HOST_PATTERN)
    """How the site is reached (host or IP), for SSH deployment and router URLs; the site
    name itself (resolved by the site's DNS or VPN) when absent."""
    runtime: Literal["k3s", "systemd", "launchd"] | None = None
    """What runs the bundle on site: k3s (default) or systemd units; launchd on apple-m."""
    bundle: str | None = None
    """Directory written by ``inferplane edge build`` for this site, relative to the
    project; required to deploy over SSH. In a fleet, ``{site}`` stands for each site."""
    ssh: EdgeSsh | None = None
    """Deploy the bundle over SSH; without it the site operator installs it by hand."""
    via: Literal["internet", "tunnel", "lan"] = "lan"
    """How the stack's router reaches the site: only on the site's LAN (default), over a
    named tunnel/VPN into it, or over the internet (always HTTPS with the site key)."""
    key_secret: SecretLocation | None = None
    """Where the stack's router reads the site's API key (the newest key in the site's
    ``site-key.json``, written by ``inferplane edge build``); default: environment
    variable ``INFERPLANE_EDGE_<SITE>_KEY``."""
    _member: FleetMember | None = PrivateAttr(default=None)
    ca_secret: SecretLocation | None = None
    """Where the stack's router reads the site CA (``ca.pem``) it verifies the site's
    certificate with; default: environment variable ``INFERPLANE_EDGE_<SITE>_CA``."""

    @model_validator(mode="after")
    def _deployable(self) -> EdgeTarget:
        runtime = self.site_runtime
        if (runtime == "launchd") != (self.profile == "apple-m"):
            allowed = "launchd" if self.profile == "apple-m" else "k3s, systemd"
            raise ValueError(
                f"runtime {runtime!r} does not run profile {self.profile!r}; allowed: {allowed}"
            )
        if (self.site is None) == (self.fleet is None):
            raise ValueError("give exactly one of site (one site) and fleet (many sites)")
        if self.fleet is not None:
            if self.address is not None:
                raise ValueError("a fleet's addresses belong to its sites (fleet.sites[].address)")
            return self
        if self.rollout is not None:
            raise ValueError("rollout applies to a fleet; this entry names one site")
        if self.ssh is not None and (self.address is None or self.bundle is None):
            raise ValueError("ssh deployment needs address and bundle")
        if self.ssh is not None and self.ssh.host_key is None:
            raise ValueError("ssh deployment needs ssh.host_key (the site's public host key)")
        return self

    @property
    def member(self) -> FleetMember | None:
        """The fleet and wave this site target was expanded from, if any."""
        return self._member

    @property
    def site_name(self) -> str:
        """``site``; set on every target a deployment sees (fleets are expanded)."""
        if self.site is None:
            raise ValueError("an unexpanded fleet entry has no single site")
        return self.site

    @property
    def site_runtime(self) -> Literal["k3s", "systemd", "launchd"]:
        """``runtime``, defaulted from the profile."""
        if self.runtime is not None:
            return self.runtime
        return "launchd" if self.profile == "apple-m" else "k3s"

    @property
    def location(self) -> Location:
        return Location("edge", None, self.site_name)

    @property
    def site_key_secret(self) -> SecretLocation:
        """``key_secret``, defaulted from the site name."""
        return self.key_secret or SecretLocation(store="env", name=f"{self._env_prefix}_KEY")

    @property
    def site_ca_secret(self) -> SecretLocation:
        """``ca_secret``, defaulted from the site name."""
        return self.ca_secret or SecretLocation(store="env", name=f"{self._env_prefix}_CA")

    @property
    def _env_prefix(self) -> str:
        return "INFERPLANE_EDGE_" + self.site_name.upper().replace("-", "_").replace(".", "_")
