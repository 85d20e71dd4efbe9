"""Self-hosted target kinds that run anywhere: Kubernetes model servers and edge sites."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from inferplane.residency import Location
from inferplane.spec.base import Name, SpecModel
from inferplane.spec.regions import is_region
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import TargetBase

__all__ = ["EDGE_PROFILES", "ClusterRef", "EdgeTarget", "KubernetesTarget"]

EDGE_PROFILES = ("jetson-orin", "x86-nvidia", "cpu", "apple-m")


class ClusterRef(SpecModel):
    """A Kubernetes cluster: its kubeconfig (a secret stack config key) and where it runs."""

    kubeconfig: str = "inferplane:kubeconfig"
    """Stack config key holding the kubeconfig (set it with ``pulumi config set --secret``)."""
    cloud: Literal["aws", "gcp", "azure", "onprem"]
    region: str | None = None
    """Cloud region of a managed cluster (EKS/GKE/AKS)."""
    site: Name | None = None
    """Edge site of an on-premises cluster (k3s)."""

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


class KubernetesTarget(TargetBase):
    """Self-hosted: a model server Deployment on any Kubernetes cluster."""

    kind: Literal["kubernetes"]
    cluster: ClusterRef
    namespace: Name = "inference"
    serving: Serving
    gpus: int = Field(default=1, ge=0, le=16)
    runtime_class: str | None = "nvidia"
    node_selector: dict[str, str] = Field(default_factory=dict)
    cache: Literal["pvc", "hostpath", "emptydir"] = "pvc"
    cache_gb: int = Field(default=100, ge=1, le=16384)

    @property
    def location(self) -> Location:
        if self.cluster.cloud == "onprem":
            return Location("edge", None, self.cluster.site)
        return Location("cloud", self.cluster.cloud, self.cluster.region)


class EdgeTarget(TargetBase):
    """On premises: a model server in an edge image, deployed to a named site."""

    kind: Literal["edge"]
    site: Name
    profile: Literal["jetson-orin", "x86-nvidia", "cpu", "apple-m"]
    serving: Serving
    address: str | None = None
    """How the site is reached (host or IP), for SSH deployment and router URLs."""

    @property
    def location(self) -> Location:
        return Location("edge", None, self.site)
