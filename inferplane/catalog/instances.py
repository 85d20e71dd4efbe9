"""Is an instance / machine type an accelerator type, with how many devices and how much
device memory? One answer for every rule and check that asks.

EC2 (and SageMaker ``ml.`` types, which run on the same hardware) comes from
``ec2_instances_data``, generated from the DescribeInstanceTypes data moto ships
(GpuInfo, NeuronInfo, InferenceAcceleratorInfo; ``tools/gen_ec2_instances.py``), so a new
family such as g7e, g6f, gr6f or p6-b300 is a GPU because AWS says so, not because a
pattern guessed it. Azure and GCP name their accelerator families by convention (Azure's
N-series; GCP's accelerator-optimized A/G families); their known sizes come from
``accelerators.GPU_MACHINES``.

A type the tables do not know is ``unknown``; when its name has the shape of an
accelerator family (``g9.xlarge``, ``p7.48xlarge``) ``looks_accelerated`` says so, and rules
treat it as an accelerator and say that the catalog does not know it (fail closed), instead
of skipping it. Names are compared case-insensitively: Azure size names are, and a
case change must never turn a GPU type into an unknown one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from inferplane.catalog.accelerators import GPU_MACHINES
from inferplane.catalog.ec2_instances_data import ACCELERATED, AS_OF, PLAIN_FAMILIES, SOURCE

__all__ = [
    "AS_OF",
    "SOURCE",
    "InstanceFacts",
    "instance_facts",
    "is_accelerated",
]

AcceleratorKind = Literal["gpu", "neuron", "inference"]

# Previous-generation EC2 GPU families that DescribeInstanceTypes (and so moto's copy) no
# longer lists; AWS "previous generation instances" page, checked 2026-11-30.
EC2_RETIRED_ACCELERATED: dict[str, tuple[AcceleratorKind, str]] = {
    "g4ad": ("gpu", "AMD Radeon Pro V520"),
    "p3": ("gpu", "NVIDIA V100"),
    "p2": ("gpu", "NVIDIA K80"),
    "g3": ("gpu", "NVIDIA M60"),
    "g3s": ("gpu", "NVIDIA M60"),
    "dl1": ("gpu", "Habana Gaudi"),
    "elastic-inference": ("inference", "AWS Elastic Inference"),
}

# The shape of an EC2 accelerator family name: g/gr (graphics GPUs), p (GPU compute),
# inf/trn (Neuron), dl (deep-learning accelerators), followed by a generation digit.
EC2_ACCELERATOR_FAMILY = re.compile(r"^(g|gr|p|inf|trn|dl)\d[a-z0-9-]*$")
EC2_TYPE = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z0-9-]+)$")
# Azure N-series (NC, ND, NV, NG, ...) are the GPU sizes; every other series is not.
AZURE_SIZE = re.compile(r"^standard_([a-z]+)\d*", re.IGNORECASE)
# GCP accelerator-optimized families carry their GPUs (A2/A3/A4 NVIDIA data centre GPUs,
# G2/G4 L4 / RTX PRO); TPU machine types (ct*) are accelerators too.
GCP_ACCELERATED_FAMILY = re.compile(r"^(a\d+|g\d+|ct\d+[a-z]*)-", re.IGNORECASE)
GCP_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z]+(-\d+[a-z]*)?$", re.IGNORECASE)

_ACCELERATED_FOLDED = {name.lower(): facts for name, facts in ACCELERATED.items()}
_ACCELERATED_FAMILIES = {name.split(".", 1)[0] for name in _ACCELERATED_FOLDED}
_GPU_MACHINES_FOLDED = {name.lower(): spec for name, spec in GPU_MACHINES.items()}


@dataclass(frozen=True)
class InstanceFacts:
    """What the catalog knows about one instance / machine type."""

    name: str
    """The type as written."""
    accelerated: bool | None
    """True: carries GPUs or other ML accelerators; False: does not; None: unknown."""
    kind: AcceleratorKind | None = None
    device: str | None = None
    """Accelerator model, e.g. ``NVIDIA L4``; None when unknown."""
    devices: float | None = None
    """Devices per instance; fractional for GPU partitions (g6f: 1/8 of an L4)."""
    memory_gib: float | None = None
    """Accelerator memory per instance, all devices together."""
    looks_accelerated: bool = False
    """Unknown to the tables, but named like an accelerator family."""
    source: str = ""

    @property
    def counts_as_accelerated(self) -> bool:
        """What a rule should assume: known accelerators and unknown types named like
        one (fail closed)."""
        return bool(self.accelerated) or (self.accelerated is None and self.looks_accelerated)

    def describe(self) -> str:
        if self.accelerated is None:
            shape = "named like an accelerator type" if self.looks_accelerated else "unknown"
            return f"{self.name!r} is not in the instance catalog ({SOURCE}, {AS_OF}): {shape}"
        if not self.accelerated:
            return "no accelerator"
        detail = f"{self.devices:g}x {self.device}" if self.devices is not None else self.device
        if self.memory_gib is not None:
            detail = f"{detail}, {self.memory_gib:.0f} GiB"
        return detail or "accelerated"


def instance_facts(name: str) -> InstanceFacts:
    """The catalog's answer for an EC2, SageMaker (``ml.``), Azure or GCP type."""
    folded = name.strip().lower()
    if folded.startswith("standard_"):
        return _azure(name, folded)
    if EC2_TYPE.match(folded.removeprefix("ml.")):
        return _ec2(name, folded.removeprefix("ml."))
    if GCP_TYPE.match(folded):
        return _gcp(name, folded)
    return InstanceFacts(name, None)


def is_accelerated(name: str) -> bool:
    """True for accelerator types, and for unknown types named like one (fail closed)."""
    return instance_facts(name).counts_as_accelerated


def _ec2(name: str, folded: str) -> InstanceFacts:
    known = _ACCELERATED_FOLDED.get(folded)
    if known is not None:
        kind, device, devices, memory = known
        return InstanceFacts(
            name, True, _kind(kind), device, devices, memory, source=f"{SOURCE}, {AS_OF}"
        )
    family = folded.split(".", 1)[0]
    if family in _ACCELERATED_FAMILIES:
        # A size the data does not list, of a family it lists as accelerated.
        device = next(v[1] for k, v in _ACCELERATED_FOLDED.items() if k.startswith(family + "."))
        kind = next(v[0] for k, v in _ACCELERATED_FOLDED.items() if k.startswith(family + "."))
        return InstanceFacts(name, True, _kind(kind), device, source=f"{SOURCE} (family)")
    if family in EC2_RETIRED_ACCELERATED:
        kind_, device = EC2_RETIRED_ACCELERATED[family]
        return InstanceFacts(name, True, kind_, device, source="previous generation")
    if family in PLAIN_FAMILIES:
        return InstanceFacts(name, False, source=f"{SOURCE}, {AS_OF}")
    return InstanceFacts(name, None, looks_accelerated=bool(EC2_ACCELERATOR_FAMILY.match(family)))


def _azure(name: str, folded: str) -> InstanceFacts:
    spec = _GPU_MACHINES_FOLDED.get(folded)
    if spec is not None:
        return InstanceFacts(
            name, True, "gpu", spec.gpu, spec.count, spec.total_gib, source="accelerators"
        )
    series = AZURE_SIZE.match(folded)
    if series is None:
        return InstanceFacts(name, None)
    # Azure size names: Standard_<family letters><vCPUs><features>_<version>; the N
    # family is GPU by Azure's naming convention.
    return InstanceFacts(name, series.group(1).startswith("n"), source="Azure size naming")


def _gcp(name: str, folded: str) -> InstanceFacts:
    spec = _GPU_MACHINES_FOLDED.get(folded)
    if spec is not None:
        return InstanceFacts(
            name, True, "gpu", spec.gpu, spec.count, spec.total_gib, source="accelerators"
        )
    accelerated = bool(GCP_ACCELERATED_FAMILY.match(folded))
    return InstanceFacts(name, accelerated, source="GCP machine family naming")


def _kind(value: str) -> AcceleratorKind:
    if value == "neuron":
        return "neuron"
    if value == "inference":
        return "inference"
    return "gpu"
