"""What every preflight check gets: the spec, AWS clients, the capacity adapter, and the
subjects (targets and the router) to look at."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from inferplane.preflight.adapter import CapacityApi
from inferplane.preflight.aws import AwsClients, call
from inferplane.preflight.azure import AzureApi, LazyArmAzureApi
from inferplane.preflight.gcp import GcpApi, LazyRestGcpApi
from inferplane.preflight.hub import HttpHubApi, HubApi
from inferplane.spec import StackSpec, TargetBase

__all__ = ["PreflightContext", "Subject", "subjects"]


@dataclass(frozen=True)
class Subject:
    """A target, or the router (``target is None``), with where it runs."""

    name: str
    kind: str
    """Target kind, or ``router:<platform>``."""
    cloud: str
    region: str | None
    target: TargetBase | None = None


def subjects(spec: StackSpec, provider_regions: Mapping[str, str]) -> Iterator[Subject]:
    for name, target in spec.targets.items():
        yield Subject(name, target.kind, target.cloud, getattr(target, "region", None), target)
    router = spec.router
    cloud = {"lambda": "aws", "cloud_run": "gcp", "container_app": "azure"}.get(
        router.platform, "edge" if router.platform == "edge" else "kubernetes"
    )
    region = router.region or provider_regions.get(cloud)
    yield Subject("router", f"router:{router.platform}", cloud, region)


@dataclass
class PreflightContext:
    spec: StackSpec
    clients: AwsClients
    capacity: CapacityApi
    hub: HubApi = field(default_factory=HttpHubApi)
    """The Hugging Face Hub (``HF_ENDPOINT``/``--hub-endpoint``; a fake in tests)."""
    azure: AzureApi = field(default_factory=LazyArmAzureApi)
    """Azure Resource Manager (``ARM_SUBSCRIPTION_ID`` and an ARM token; a fake in tests)."""
    gcp: GcpApi = field(default_factory=LazyRestGcpApi)
    """Cloud Quotas and Compute (a project and an access token; a fake in tests)."""
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def memo(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()`` once per key: several targets in a region share one answer."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def aws(self, service: str, region: str, method: str, **kwargs: Any) -> Any:
        return call(self.clients.client(service, region), method, **kwargs)

    @cached_property
    def botocore_sagemaker_instance_types(self) -> frozenset[str]:
        import botocore.session

        model = botocore.session.get_session().get_service_model("sagemaker")
        shape: Any = model.shape_for("ProductionVariantInstanceType")
        return frozenset(shape.enum)
