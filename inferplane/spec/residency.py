"""Residency zone and data classes."""

from __future__ import annotations

from pydantic import Field, field_validator

from inferplane.residency import Placement, Zone
from inferplane.spec.base import Name, SpecModel, Unique
from inferplane.spec.regions import geography, is_region

__all__ = ["DataClass", "Residency"]


class Residency(SpecModel):
    """The zone this stack's sensitive data must stay in."""

    zone: Name
    """Zone name, e.g. ``eu``; tagged on every resource as ``residency-zone``."""
    geography: str | None = None
    """Geography of the zone (us, eu, apac, ...). Defaults to the geography shared by all
    its cloud regions; geographic inference profiles and data zones must match it."""
    regions: dict[str, Unique[str]] = Field(default_factory=dict)
    """Allowed cloud regions per cloud: ``{aws: [...], gcp: [...], azure: [...]}``."""
    edge_sites: Unique[Name] = ()
    """Named on-premises sites that belong to the zone."""

    @field_validator("regions")
    @classmethod
    def _regions_are_real(cls, regions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for cloud, names in regions.items():
            if cloud not in ("aws", "gcp", "azure"):
                raise ValueError(f"unknown cloud {cloud!r}; allowed: aws, gcp, azure")
            for region in names:
                if not is_region(cloud, region):  # type: ignore[arg-type]
                    raise ValueError(f"{cloud}: {region!r} is not a known {cloud} region")
        return regions

    def as_zone(self) -> Zone:
        return Zone(self.zone, self.effective_geography, self.regions, self.edge_sites)

    @property
    def effective_geography(self) -> str | None:
        if self.geography is not None:
            return self.geography
        geos = {
            geography(cloud, region)  # type: ignore[arg-type]
            for cloud, names in self.regions.items()
            for region in names
        }
        return geos.pop() if len(geos) == 1 else None


class DataClass(SpecModel):
    """Where requests of one data class may be processed."""

    placement: Placement
    """``any`` (anywhere), ``zone`` (in-zone regions and edge sites), ``edge`` (edge only)."""
