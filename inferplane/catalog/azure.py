"""What Azure Container Apps and Azure OpenAI accept, as data: the serverless GPU workload
profiles (with the replica size each gives and the regions offering them) and the Azure
OpenAI deployment SKUs. Pure data with no Pulumi import, shared by the spec and components.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "CONTAINER_APP_GPU_PROFILES",
    "OPENAI_DATA_ZONES",
    "OPENAI_PROVISIONED_SKUS",
    "OPENAI_SKUS",
    "ContainerAppGpuProfile",
    "OpenAISku",
    "container_app_gpu_refusal",
    "container_app_size_refusal",
]


@dataclass(frozen=True)
class ContainerAppGpuProfile:
    """A serverless (Consumption) GPU workload profile: one GPU per replica."""

    cpu: float
    memory_gib: float
    gpu: str
    regions: frozenset[str]
    source: str
    checked: str


_PROFILES_SOURCE = "https://learn.microsoft.com/azure/container-apps/workload-profiles-overview"

CONTAINER_APP_GPU_PROFILES: dict[str, ContainerAppGpuProfile] = {
    "Consumption-GPU-NC8as-T4": ContainerAppGpuProfile(
        cpu=8,
        memory_gib=56,
        gpu="NVIDIA T4",
        regions=frozenset({"westus3", "australiaeast", "swedencentral"}),
        source=_PROFILES_SOURCE,
        checked="2025-10",
    ),
    "Consumption-GPU-NC24-A100": ContainerAppGpuProfile(
        cpu=24,
        memory_gib=220,
        gpu="NVIDIA A100 80GB",
        regions=frozenset({"westus3", "australiaeast", "swedencentral"}),
        source=_PROFILES_SOURCE,
        checked="2025-10",
    ),
}


def container_app_gpu_refusal(profile: str, location: str) -> str | None:
    """Why Container Apps would refuse ``profile`` in ``location``, or None."""
    known = CONTAINER_APP_GPU_PROFILES.get(profile)
    if known is None:
        allowed = ", ".join(CONTAINER_APP_GPU_PROFILES)
        return f"gpu profile {profile!r} is not a serverless GPU profile; allowed: {allowed}"
    if location not in known.regions:
        return (
            f"{profile} is not offered in {location!r}; regions: "
            f"{', '.join(sorted(known.regions))} ({known.source}, checked {known.checked})"
        )
    return None


CONTAINER_APP_MAX_CPU = 4
CONTAINER_APP_SIZE_SOURCE = "https://learn.microsoft.com/azure/container-apps/containers"


def container_app_size_refusal(cpu: float, memory_gib: float) -> str | None:
    """Why a Consumption replica of ``cpu``/``memory_gib`` would be refused, or None.

    Consumption replicas come in 0.25 vCPU steps up to 4, with 2 GiB per vCPU."""
    if cpu <= 0 or cpu > CONTAINER_APP_MAX_CPU or (cpu * 4) % 1:
        return f"cpu {cpu:g} is not allowed; use 0.25 steps from 0.25 to {CONTAINER_APP_MAX_CPU}"
    if memory_gib != cpu * 2:
        return (
            f"memory {memory_gib:g} GiB does not match cpu {cpu:g}; Consumption replicas "
            f"have 2 GiB per vCPU ({cpu * 2:g} GiB) ({CONTAINER_APP_SIZE_SOURCE})"
        )
    return None


OpenAISku = Literal[
    "Standard",
    "DataZoneStandard",
    "GlobalStandard",
    "ProvisionedManaged",
    "DataZoneProvisionedManaged",
    "GlobalProvisionedManaged",
]
"""Azure OpenAI deployment SKUs: where data may be processed (region, data zone, anywhere)
and whether capacity is reserved (Provisioned*: capacity in PTUs)."""
OPENAI_SKUS: tuple[str, ...] = get_args(OpenAISku)

OPENAI_PROVISIONED_SKUS = frozenset(s for s in OPENAI_SKUS if "Provisioned" in s)

OPENAI_DATA_ZONES = frozenset({"us", "eu"})
"""Geographies that have an Azure OpenAI data zone (DataZone* SKUs)."""
