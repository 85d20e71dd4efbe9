"""Azure target kinds: Azure OpenAI, Azure ML online endpoints, Container Apps."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from inferplane.residency import Location
from inferplane.spec.capacity import CapacityMode
from inferplane.spec.regions import geography
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import CloudTarget

__all__ = ["OPENAI_SKUS", "AzureMlTarget", "AzureOpenAITarget", "ContainerAppTarget"]

OPENAI_SKUS = (
    "Standard",
    "DataZoneStandard",
    "GlobalStandard",
    "ProvisionedManaged",
    "DataZoneProvisionedManaged",
    "GlobalProvisionedManaged",
)


class AzureTarget(CloudTarget):
    CLOUD = "azure"


class AzureOpenAITarget(AzureTarget):
    """Fully managed API: an Azure OpenAI deployment with its SKU (where data is processed)."""

    kind: Literal["azure_openai"]
    model_version: str | None = None
    sku: Literal[
        "Standard",
        "DataZoneStandard",
        "GlobalStandard",
        "ProvisionedManaged",
        "DataZoneProvisionedManaged",
        "GlobalProvisionedManaged",
    ] = "Standard"
    tpm_thousands: int = Field(default=10, ge=1, le=100_000)
    """Rate limit of a Standard deployment, in thousands of tokens per minute."""

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand", "provisioned"})

    @model_validator(mode="after")
    def _sku_matches_capacity(self) -> AzureOpenAITarget:
        provisioned = "Provisioned" in self.sku
        if provisioned != (self.capacity.mode == "provisioned"):
            raise ValueError(
                f"sku {self.sku!r} needs capacity.mode "
                f"{'provisioned (with units = PTUs)' if provisioned else 'on_demand'}"
            )
        return self

    @property
    def location(self) -> Location:
        if self.sku.startswith("Global"):
            return Location("global", "azure")
        if self.sku.startswith("DataZone"):
            return Location("geo", "azure", geography("azure", self.region))
        return Location("cloud", "azure", self.region)


class AzureMlTarget(AzureTarget):
    """Managed hosting: a model on an Azure ML managed online endpoint."""

    kind: Literal["azure_ml"]
    instance_type: str = "Standard_NC24ads_A100_v4"
    auth: Literal["key", "aad_token"] = "aad_token"


class ContainerAppTarget(AzureTarget):
    """Serverless: a model-server container on Azure Container Apps (GPU optional)."""

    kind: Literal["container_app"]
    serving: Serving | None = None
    image: str | None = None
    gpu_profile: Literal["Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"] | None = None
    concurrency: int = Field(default=10, ge=1, le=1000)
