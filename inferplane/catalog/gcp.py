"""What Cloud Run and Vertex AI accept, as data: GPU types per Cloud Run region with their
CPU/memory minimums, and the accelerators each Vertex machine type carries.

Pure data with no Pulumi import, so the spec (early, friendly errors) and the components
(the last check before resources are declared) validate against the same tables. Each table
names its source and the date it was read; update both together.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CLOUD_RUN_GPUS",
    "VERTEX_CPU_FAMILIES",
    "VERTEX_GPU_MACHINES",
    "VERTEX_N1_ACCELERATORS",
    "CloudRunGpuType",
    "cloud_run_gpu_refusal",
    "cloud_run_size_refusal",
    "vertex_accelerator",
    "vertex_machine_refusal",
]


@dataclass(frozen=True)
class CloudRunGpuType:
    """One GPU type Cloud Run services can attach (one per instance)."""

    min_cpu: float
    min_memory_gib: float
    regions: frozenset[str] | None
    """Regions offering it; None when the source lists none we could confirm (unchecked)."""
    source: str
    checked: str


CLOUD_RUN_GPUS: dict[str, CloudRunGpuType] = {
    "nvidia-l4": CloudRunGpuType(
        min_cpu=4,
        min_memory_gib=16,
        # asia-south1 is invitation-only; kept because invited projects can use it.
        regions=frozenset(
            {
                "asia-southeast1",
                "asia-south1",
                "europe-west1",
                "europe-west4",
                "us-central1",
                "us-east4",
            }
        ),
        source="https://cloud.google.com/run/docs/configuring/services/gpu",
        checked="2025-10",
    ),
    "nvidia-rtx-pro-6000": CloudRunGpuType(
        min_cpu=20,
        min_memory_gib=80,
        # Preview; the page's region list for it was not readable offline, so regions are
        # not checked here (the API refuses an unsupported region at deploy time).
        regions=None,
        source="https://cloud.google.com/run/docs/configuring/services/gpu",
        checked="2025-10",
    ),
}
CLOUD_RUN_GPUS_PER_INSTANCE = 1


def cloud_run_gpu_refusal(
    gpu: str, count: int, region: str, cpu: float, memory_gib: float
) -> str | None:
    """Why Cloud Run would refuse this GPU configuration, or None when it fits."""
    known = CLOUD_RUN_GPUS.get(gpu)
    if known is None:
        return f"gpu type {gpu!r} is not offered by Cloud Run; allowed: {', '.join(CLOUD_RUN_GPUS)}"
    if count != CLOUD_RUN_GPUS_PER_INSTANCE:
        return f"gpu count {count} is not allowed; Cloud Run attaches exactly 1 GPU per instance"
    if known.regions is not None and region not in known.regions:
        return (
            f"{gpu} is not offered in {region!r}; regions: {', '.join(sorted(known.regions))} "
            f"({known.source}, checked {known.checked})"
        )
    if cpu < known.min_cpu or memory_gib < known.min_memory_gib:
        return (
            f"{gpu} needs at least {known.min_cpu:g} CPU and {known.min_memory_gib:g} GiB; "
            f"got {cpu:g} CPU and {memory_gib:g} GiB"
        )
    return None


CLOUD_RUN_CPUS = (1, 2, 4, 6, 8)
"""Whole-CPU limits a Cloud Run instance without a GPU may have (below 1, any fraction)."""
CLOUD_RUN_MIN_CPU_FOR_MEMORY = ((24, 8), (16, 6), (8, 4), (4, 2))
"""(memory GiB above which, minimum CPU): Cloud Run ties memory to CPU."""
CLOUD_RUN_MAX_MEMORY_GIB = 32
CLOUD_RUN_SIZE_SOURCE = "https://cloud.google.com/run/docs/configuring/services/memory-limits"


def cloud_run_size_refusal(cpu: float, memory_gib: float) -> str | None:
    """Why Cloud Run would refuse ``cpu``/``memory_gib`` on an instance without a GPU."""
    if cpu >= 1 and cpu not in CLOUD_RUN_CPUS:
        return f"cpu {cpu:g} is not allowed; use a fraction below 1 or one of {CLOUD_RUN_CPUS}"
    if memory_gib > CLOUD_RUN_MAX_MEMORY_GIB:
        return f"memory {memory_gib:g} GiB is above Cloud Run's {CLOUD_RUN_MAX_MEMORY_GIB} GiB"
    for above, min_cpu in CLOUD_RUN_MIN_CPU_FOR_MEMORY:
        if memory_gib > above and cpu < min_cpu:
            return (
                f"memory {memory_gib:g} GiB needs at least {min_cpu} CPU; got {cpu:g} "
                f"({CLOUD_RUN_SIZE_SOURCE})"
            )
    return None


VERTEX_SOURCE = "https://cloud.google.com/vertex-ai/docs/predictions/configure-compute (2025-10)"

VERTEX_GPU_MACHINES: dict[str, tuple[str, int]] = {
    # machine type -> (accelerator type, count): these families have their GPUs built in.
    "g2-standard-4": ("NVIDIA_L4", 1),
    "g2-standard-8": ("NVIDIA_L4", 1),
    "g2-standard-12": ("NVIDIA_L4", 1),
    "g2-standard-16": ("NVIDIA_L4", 1),
    "g2-standard-24": ("NVIDIA_L4", 2),
    "g2-standard-32": ("NVIDIA_L4", 1),
    "g2-standard-48": ("NVIDIA_L4", 4),
    "g2-standard-96": ("NVIDIA_L4", 8),
    "a2-highgpu-1g": ("NVIDIA_TESLA_A100", 1),
    "a2-highgpu-2g": ("NVIDIA_TESLA_A100", 2),
    "a2-highgpu-4g": ("NVIDIA_TESLA_A100", 4),
    "a2-highgpu-8g": ("NVIDIA_TESLA_A100", 8),
    "a2-megagpu-16g": ("NVIDIA_TESLA_A100", 16),
    "a2-ultragpu-1g": ("NVIDIA_A100_80GB", 1),
    "a2-ultragpu-2g": ("NVIDIA_A100_80GB", 2),
    "a2-ultragpu-4g": ("NVIDIA_A100_80GB", 4),
    "a2-ultragpu-8g": ("NVIDIA_A100_80GB", 8),
    "a3-highgpu-1g": ("NVIDIA_H100_80GB", 1),
    "a3-highgpu-2g": ("NVIDIA_H100_80GB", 2),
    "a3-highgpu-4g": ("NVIDIA_H100_80GB", 4),
    "a3-highgpu-8g": ("NVIDIA_H100_80GB", 8),
    "a3-megagpu-8g": ("NVIDIA_H100_MEGA_80GB", 8),
    "a3-ultragpu-8g": ("NVIDIA_H200_141GB", 8),
}

VERTEX_N1_ACCELERATORS: dict[str, frozenset[int]] = {
    # N1 machines take attachable GPUs: type -> allowed counts per replica.
    "NVIDIA_TESLA_T4": frozenset({1, 2, 4}),
    "NVIDIA_TESLA_V100": frozenset({1, 2, 4, 8}),
}

VERTEX_CPU_FAMILIES = ("e2-standard-", "e2-highmem-", "e2-highcpu-", "n1-", "n2-", "n2d-", "c2d-")
"""Machine-type prefixes Vertex serves on without a GPU."""


def vertex_machine_refusal(machine_type: str, accelerator: tuple[str, int] | None) -> str | None:
    """Why Vertex would refuse ``machine_type`` with ``accelerator`` (type, count), or None.

    For G2/A2/A3 machines the accelerator is built in: it may be omitted, and when given it
    must match."""
    built_in = VERTEX_GPU_MACHINES.get(machine_type)
    if built_in is not None:
        if accelerator is not None and accelerator != built_in:
            return (
                f"machine_type {machine_type!r} carries {built_in[0]} x{built_in[1]}; "
                f"got {accelerator[0]} x{accelerator[1]} ({VERTEX_SOURCE})"
            )
        return None
    if machine_type.startswith("n1-") and accelerator is not None:
        counts = VERTEX_N1_ACCELERATORS.get(accelerator[0])
        if counts is None:
            return (
                f"n1 machines take {', '.join(VERTEX_N1_ACCELERATORS)}; "
                f"got {accelerator[0]} ({VERTEX_SOURCE})"
            )
        if accelerator[1] not in counts:
            return (
                f"{accelerator[0]} count on n1 must be one of {sorted(counts)}; "
                f"got {accelerator[1]} ({VERTEX_SOURCE})"
            )
        return None
    if not machine_type.startswith(VERTEX_CPU_FAMILIES):
        return (
            f"machine_type {machine_type!r} is not a Vertex serving machine type; use a "
            f"GPU machine ({', '.join(sorted({m.rsplit('-', 2)[0] for m in VERTEX_GPU_MACHINES}))}"
            f"-...) or a CPU family ({', '.join(VERTEX_CPU_FAMILIES)}...) ({VERTEX_SOURCE})"
        )
    if accelerator is not None:
        return f"machine_type {machine_type!r} takes no accelerator; use n1-* or a GPU machine"
    return None


def vertex_accelerator(
    machine_type: str, accelerator: tuple[str, int] | None
) -> tuple[str, int] | None:
    """The accelerator a replica of ``machine_type`` runs with (built in or attached)."""
    return accelerator or VERTEX_GPU_MACHINES.get(machine_type)
