"""Azure target kinds: Azure OpenAI, Azure ML online endpoints, Container Apps."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from inferplane.catalog.azure import (
    OPENAI_DATA_ZONES,
    OPENAI_SKUS,
    OpenAISku,
    container_app_gpu_refusal,
    container_app_size_refusal,
)
from inferplane.residency import Location
from inferplane.spec.base import (
    KEY_VAULT_ID_PATTERN,
    KEY_VAULT_SECRET_PATTERN,
    ImageRef,
    SpecModel,
)
from inferplane.spec.capacity import CapacityMode
from inferplane.spec.regions import geography
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import CloudTarget

__all__ = ["OPENAI_SKUS", "AzureMlTarget", "AzureOpenAITarget", "ContainerAppTarget"]


class AzureTarget(CloudTarget):
    CLOUD = "azure"


NetworkAccess = Literal["private", "public_entra_only"]
"""``private``: public network access off (private endpoint only). ``public_entra_only``:
the public endpoint is on so a router in another cloud reaches it, and only Microsoft
Entra tokens are accepted (keys stay disabled)."""


class AzureOpenAITarget(AzureTarget):
    """Fully managed API: an Azure OpenAI deployment with its SKU (where data is processed)."""

    kind: Literal["azure_openai"]
    model_version: str | None = None
    sku: OpenAISku = "Standard"
    tpm_thousands: int = Field(default=10, ge=1, le=100_000)
    """Rate limit of a Standard deployment, in thousands of tokens per minute."""
    network_access: NetworkAccess = "private"
    """How the account is reached: private only, or public with Entra auth only (a router
    in another cloud needs this; docs/wiring.md "Across clouds")."""

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand", "provisioned"})

    @model_validator(mode="after")
    def _sku_matches_capacity(self) -> AzureOpenAITarget:
        provisioned = "Provisioned" in self.sku
        if provisioned != (self.capacity.mode == "provisioned"):
            raise ValueError(
                f"sku {self.sku!r} needs capacity.mode "
                f"{'provisioned (with units = PTUs)' if provisioned else 'on_demand'}"
            )
        geo = geography("azure", self.region)
        if self.sku.startswith("DataZone") and geo not in OPENAI_DATA_ZONES:
            raise ValueError(
                f"sku {self.sku!r} needs a region in a data zone "
                f"({', '.join(sorted(OPENAI_DATA_ZONES))}); {self.region!r} is in {geo!r}"
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
    instance_type: str = Field(default="Standard_NC24ads_A100_v4", pattern=r"^Standard_\w+$")
    """Managed online endpoint VM size (``Standard_...``)."""
    auth: Literal["key", "aad_token"] = "aad_token"
    """How callers authenticate: endpoint keys, or Microsoft Entra tokens."""
    network_access: NetworkAccess = "private"
    """How the endpoint is reached: private only, or public with Entra auth only."""

    @model_validator(mode="after")
    def _scalable(self) -> AzureMlTarget:
        if self.scaling.min < 1:
            raise ValueError(
                f"scaling.min {self.scaling.min} is not allowed; managed online "
                "deployments keep at least 1 instance"
            )
        return self


class KeyVaultSecretRef(SpecModel):
    """A Key Vault secret, read by the app at start through an identity allowed only it."""

    vault_id: Annotated[str, StringConstraints(pattern=KEY_VAULT_ID_PATTERN)]
    """The vault's ARM ID."""
    name: Annotated[str, StringConstraints(pattern=KEY_VAULT_SECRET_PATTERN)]
    """The secret's name in the vault."""


class ContainerAppTarget(AzureTarget):
    """Serverless: a model-server container on Azure Container Apps (GPU optional)."""

    kind: Literal["container_app"]
    serving: Serving | None = None
    image: ImageRef | None = None
    gpu_profile: Literal["Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"] | None = None
    """Serverless GPU workload profile; each replica gets the profile's CPU, memory and GPU."""
    cpu: float = Field(default=2, gt=0, le=4)
    """vCPUs per replica without a GPU profile (Consumption allows up to 4)."""
    memory_gib: float = Field(default=4, gt=0, le=8)
    """Memory per replica in GiB without a GPU profile (2 GiB per vCPU on Consumption)."""
    concurrency: int = Field(default=10, ge=1, le=1000)
    """Concurrent HTTP requests per replica before another replica is added."""
    hf_token_secret: KeyVaultSecretRef | None = None
    """Key Vault secret holding a Hugging Face token, for gated models (``HF_TOKEN``)."""

    @model_validator(mode="after")
    def _runnable(self) -> ContainerAppTarget:
        if (self.serving is None) == (self.image is None):
            raise ValueError("set exactly one of serving (an engine) or image")
        if self.gpu_profile is not None:
            refusal = container_app_gpu_refusal(self.gpu_profile, self.region)
        else:
            refusal = container_app_size_refusal(self.cpu, self.memory_gib)
        if refusal:
            raise ValueError(refusal)
        return self
