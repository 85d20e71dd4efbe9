"""Where data may be processed: the one place that decides whether a data class may go to
a location. Used by the spec's cross-checks, the router config renderer and the policies,
so the three can never disagree.

A *location* says where a target processes data:

    cloud:<cloud>:<region>   one cloud region (aws, gcp, azure)
    geo:<cloud>:<geography>  anywhere inside one geography (Bedrock ``eu.`` profiles,
                             Azure OpenAI DataZone SKUs)
    global:<cloud>           anywhere in the world (Bedrock ``global.``, Azure Global SKUs)
    edge:<site>              on premises, at a named edge site

A *placement* says where a data class may be processed:

    any    anywhere
    zone   inside the residency zone: its listed cloud regions, its geography, its edge sites
    edge   only at the zone's edge sites
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["PLACEMENT_RANK", "Location", "Placement", "Zone", "placement_refusal"]

Placement = Literal["any", "zone", "edge"]
PLACEMENT_RANK: dict[str, int] = {"any": 1, "zone": 2, "edge": 3}
"""Strictness of a placement; a higher rank allows fewer locations."""

LocationKind = Literal["cloud", "geo", "global", "edge"]


@dataclass(frozen=True)
class Location:
    kind: LocationKind
    cloud: str | None = None
    region: str | None = None
    """Region (kind cloud), geography (kind geo) or site (kind edge)."""

    def __str__(self) -> str:
        if self.kind == "edge":
            return f"edge:{self.region}"
        if self.kind == "global":
            return f"global:{self.cloud}"
        return f"{self.kind}:{self.cloud}:{self.region}"

    @classmethod
    def parse(cls, text: str) -> Location:
        parts = text.split(":")
        kind = parts[0]
        if kind == "edge" and len(parts) == 2:
            return cls("edge", None, parts[1])
        if kind == "global" and len(parts) == 2:
            return cls("global", parts[1], None)
        if kind in ("cloud", "geo") and len(parts) == 3:
            return cls(kind, parts[1], parts[2])  # type: ignore[arg-type]
        raise ValueError(
            f"location {text!r} is not one of cloud:<cloud>:<region>, geo:<cloud>:<geo>, "
            "global:<cloud>, edge:<site>"
        )


@dataclass(frozen=True)
class Zone:
    """A residency zone: the regions, geography and edge sites data may stay within."""

    name: str
    geography: str | None
    regions: Mapping[str, Sequence[str]]
    edge_sites: Sequence[str]


def placement_refusal(placement: str, location: Location, zone: Zone) -> str | None:
    """Why ``placement`` forbids ``location`` in ``zone``, or None when it is allowed."""
    if placement == "any":
        return None
    if location.kind == "edge":
        if location.region in zone.edge_sites:
            return None
        return f"edge site {location.region!r} is not one of zone {zone.name!r}'s edge sites"
    if placement == "edge":
        return f"placement 'edge' allows only edge sites, and {location} is in the cloud"
    return _zone_refusal(location, zone)


def _zone_refusal(location: Location, zone: Zone) -> str | None:
    if location.kind == "global":
        return f"{location} may process data anywhere in the world, outside zone {zone.name!r}"
    if location.kind == "geo":
        if zone.geography is not None and location.region == zone.geography:
            return None
        return f"{location} may process data outside zone {zone.name!r}"
    allowed = zone.regions.get(location.cloud or "", ())
    if location.region in allowed:
        return None
    return (
        f"{location.cloud} region {location.region!r} is outside zone {zone.name!r} "
        f"(allowed: {', '.join(allowed) or 'none'})"
    )
