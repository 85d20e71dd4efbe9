"""Memory of what a model runs on: GPU VRAM per instance/machine type, serverless limits,
edge profiles. A small dated table, not an API: a type it lacks is "unknown", never a guess.

Sources (checked 2026-11-30): AWS EC2 accelerated-computing instance pages (G4dn, G5, G6,
G6e, P4d/P4de, P5) and the SageMaker instance pages (``ml.`` types share the EC2 GPUs);
Azure NC A100 v4 / NCasT4_v3 / ND A100 v4 / ND H100 v5 size pages; GCP accelerator-optimized
machine families (G2, A2, A3); Cloud Run GPU and Container Apps serverless GPU docs; NVIDIA
Jetson Orin module data sheet; SageMaker serverless (6,144 MB max) and Lambda (10,240 MB)
quotas.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AS_OF",
    "CLOUD_RUN_GPU",
    "CONTAINER_APP_GPU",
    "EDGE_PROFILE",
    "GPU_MACHINES",
    "GpuSpec",
    "gpu_of",
]

AS_OF = "2026-11-30"
"""The date the rows below were checked against their sources."""


@dataclass(frozen=True)
class GpuSpec:
    """``count`` GPUs of ``gpu``, each with ``gib`` of memory."""

    gpu: str
    gib: float
    count: int

    @property
    def total_gib(self) -> float:
        return self.gib * self.count

    def __str__(self) -> str:
        return f"{self.count}x {self.gpu} {self.gib:g} GiB"


def _family(gpu: str, gib: float, counts: dict[str, int], prefix: str) -> dict[str, GpuSpec]:
    return {f"{prefix}{size}": GpuSpec(gpu, gib, n) for size, n in counts.items()}


_SINGLE = {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1}
_EC2: dict[str, GpuSpec] = {
    **_family("T4", 16, {**_SINGLE, "12xlarge": 4, "metal": 8}, "g4dn."),
    **_family("A10G", 24, {**_SINGLE, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, "g5."),
    **_family("L4", 24, {**_SINGLE, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, "g6."),
    **_family("L40S", 48, {**_SINGLE, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, "g6e."),
    "p4d.24xlarge": GpuSpec("A100", 40, 8),
    "p4de.24xlarge": GpuSpec("A100", 80, 8),
    "p5.48xlarge": GpuSpec("H100", 80, 8),
}

GPU_MACHINES: dict[str, GpuSpec] = {
    **_EC2,
    **{f"ml.{name}": spec for name, spec in _EC2.items()},
    # Azure (ML online endpoints and VMs).
    "Standard_NC4as_T4_v3": GpuSpec("T4", 16, 1),
    "Standard_NC8as_T4_v3": GpuSpec("T4", 16, 1),
    "Standard_NC16as_T4_v3": GpuSpec("T4", 16, 1),
    "Standard_NC64as_T4_v3": GpuSpec("T4", 16, 4),
    "Standard_NC24ads_A100_v4": GpuSpec("A100", 80, 1),
    "Standard_NC48ads_A100_v4": GpuSpec("A100", 80, 2),
    "Standard_NC96ads_A100_v4": GpuSpec("A100", 80, 4),
    "Standard_ND96asr_v4": GpuSpec("A100", 40, 8),
    "Standard_ND96amsr_A100_v4": GpuSpec("A100", 80, 8),
    "Standard_ND96isr_H100_v5": GpuSpec("H100", 80, 8),
    # GCP (Vertex machine types carry their GPUs: G2 = L4, A2 = A100, A3 = H100).
    **_family("L4", 24, {"4": 1, "8": 1, "12": 1, "16": 1, "24": 2, "32": 1}, "g2-standard-"),
    **_family("L4", 24, {"48": 4, "96": 8}, "g2-standard-"),
    **_family("A100", 40, {"1g": 1, "2g": 2, "4g": 4, "8g": 8, "16g": 16}, "a2-highgpu-"),
    **_family("A100", 80, {"1g": 1, "2g": 2, "4g": 4, "8g": 8}, "a2-ultragpu-"),
    "a3-highgpu-8g": GpuSpec("H100", 80, 8),
}
"""GPU instance / machine types and their GPUs."""

CLOUD_RUN_GPU: dict[str, GpuSpec] = {
    "nvidia-l4": GpuSpec("L4", 24, 1),
    "nvidia-rtx-pro-6000": GpuSpec("RTX PRO 6000", 96, 1),
}
CONTAINER_APP_GPU: dict[str, GpuSpec] = {
    "Consumption-GPU-NC8as-T4": GpuSpec("T4", 16, 1),
    "Consumption-GPU-NC24-A100": GpuSpec("A100", 80, 1),
}
EDGE_PROFILE: dict[str, GpuSpec] = {
    # Unified memory shared with the OS: the smallest Orin module that runs our bundle
    # (Orin NX 16 GB), so a stack that fits here fits every Orin.
    "jetson-orin": GpuSpec("Jetson Orin (unified)", 16, 1),
}
"""Edge profiles with known memory; ``x86-nvidia``, ``cpu`` and ``apple-m`` vary by host."""


def gpu_of(machine: str) -> GpuSpec | None:
    """The GPUs of an instance or machine type, or None when neither this table nor the
    instance catalog (EC2 DescribeInstanceTypes data: g7e, p6-b300, ...) knows them."""
    known = GPU_MACHINES.get(machine)
    if known is not None:
        return known
    from inferplane.catalog.instances import instance_facts  # it reads this table

    facts = instance_facts(machine)
    if not facts.accelerated or not facts.devices or facts.memory_gib is None:
        return None
    if facts.devices < 1:  # a GPU partition (g6f): one slice with its own memory
        return GpuSpec(f"{facts.device} slice ({facts.devices:g})", facts.memory_gib, 1)
    count = int(facts.devices)
    return GpuSpec(facts.device or "accelerator", facts.memory_gib / count, count)
