"""What every target kind shares: model, capacity, scaling, and where it processes data."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from inferplane.residency import Location
from inferplane.spec.base import ModelId, SpecModel
from inferplane.spec.capacity import Capacity, CapacityMode, CommitmentTerm, Scaling
from inferplane.spec.checkpoint import Checkpoint
from inferplane.spec.regions import Cloud, is_region

__all__ = ["CloudTarget", "TargetBase"]


class TargetBase(SpecModel):
    """Fields every target has."""

    model: ModelId
    """The model this target serves (provider model ID, Hugging Face ID or GGUF name)."""
    checkpoint: Checkpoint | None = None
    """Facts about the weights (format, quantization, gating, revision); filled from
    ``inferplane.catalog.checkpoints`` for well-known repos."""
    capacity: Capacity = Capacity()
    scaling: Scaling = Scaling()
    public: bool = False
    """Expose the endpoint without authentication. Policies refuse it unless allowed."""
    latency_ms_p50: float | None = Field(default=None, gt=0)
    """Expected median latency; the router skips targets that cannot meet a budget."""

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand"})
    COMMITMENT_TERMS: ClassVar[frozenset[CommitmentTerm]] = frozenset({"none"})

    @field_validator("capacity")
    @classmethod
    def _capacity_fits_kind(cls, capacity: Capacity) -> Capacity:
        if capacity.mode not in cls.CAPACITY_MODES:
            allowed = ", ".join(sorted(cls.CAPACITY_MODES))
            raise ValueError(f"mode {capacity.mode!r} is not offered here; allowed: {allowed}")
        if capacity.term not in cls.COMMITMENT_TERMS:
            allowed = ", ".join(sorted(cls.COMMITMENT_TERMS))
            raise ValueError(f"term {capacity.term!r} is not offered here; allowed: {allowed}")
        return capacity

    @property
    def location(self) -> Location:
        raise NotImplementedError

    @property
    def cloud(self) -> str:
        """``aws``, ``gcp``, ``azure`` or ``edge``."""
        return self.location.cloud or "edge"


class CloudTarget(TargetBase):
    """A target in one region of one cloud."""

    CLOUD: ClassVar[Cloud]
    region: str

    @field_validator("region")
    @classmethod
    def _real_region(cls, region: str) -> str:
        if not is_region(cls.CLOUD, region):
            raise ValueError(f"{region!r} is not a known {cls.CLOUD} region")
        return region

    @property
    def location(self) -> Location:
        return Location("cloud", self.CLOUD, self.region)
