"""Edge fleets: many sites sharing one edge profile, rolled out in waves.

A stack entry of kind ``edge`` names either one ``site`` or a ``fleet``: an inline list of
sites or an inventory file (YAML, read with ``inferplane.yamlload``). The spec expands a
fleet into one edge target per site, named ``<entry>-<site>``, before anything else sees
it: every site is then residency-checked, priced, routed to and deployed like a single
site, and a route that names the fleet names all its sites (in inventory order). Each
expanded target remembers its fleet and wave (``EdgeTarget.member``), which the deployment
uses to make wave k+1 wait for wave k's health gates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, PlainValidator, field_validator, model_validator

from inferplane.spec.base import Name, SpecModel
from inferplane.spec.router import SecretLocation

__all__ = [
    "INVENTORY_PATTERN",
    "EdgeFleet",
    "FleetMember",
    "FleetSite",
    "Rollout",
    "WaveSize",
    "inventory_path_ok",
    "resolve_waves",
]

HOST_PATTERN = r"^[A-Za-z0-9.:-]+$"
HOST_KEY_PATTERN = r"^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+$"
INVENTORY_PATTERN = r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*\.ya?ml$"
_PERCENT = re.compile(r"^([1-9][0-9]?|100)%$")


def _wave_size(value: object) -> int | str:
    # One message for both spellings (a plain union would report one error per branch).
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _PERCENT.match(value):
        return value
    raise ValueError(
        f"wave {value!r} is neither a count of sites (1, 2, ...) nor a percentage of the "
        "fleet ('1%' to '100%')"
    )


WaveSize = Annotated[int | str, PlainValidator(_wave_size)]
"""How many sites have been rolled out once a wave is done: a count (``1``) or a
percentage of the fleet (``"25%"``, rounded up)."""


class FleetSite(SpecModel):
    """One site of a fleet; fields left out come from the fleet's stack entry."""

    name: Name
    """Site name: residency ``edge:<name>``; must be one of ``residency.edge_sites``."""
    address: str | None = Field(default=None, pattern=HOST_PATTERN)
    """Host or IP for SSH and the router's URL; the site name (site DNS/VPN) when absent."""
    zone: Name | None = None
    """Residency zone the site belongs to; when given it must be the stack's zone."""
    host_key: str | None = Field(default=None, pattern=HOST_KEY_PATTERN)
    """The site's public SSH host key (each device has its own); overrides ``ssh.host_key``."""
    bundle: str | None = None
    """This site's bundle directory (its secrets are per site); default: the entry's
    ``bundle`` with ``{site}`` replaced by the site name."""
    via: Literal["internet", "tunnel", "lan"] | None = None
    latency_ms_p50: float | None = Field(default=None, gt=0)
    key_secret: SecretLocation | None = None
    ca_secret: SecretLocation | None = None


class EdgeFleet(SpecModel):
    """The sites of a fleet: ``sites`` inline, or ``inventory`` (a YAML file with a
    ``sites:`` list of the same shape, relative to the project directory)."""

    sites: tuple[FleetSite, ...] = ()
    inventory: str | None = Field(default=None, pattern=INVENTORY_PATTERN)
    """Read by ``parse_spec`` (strict YAML: a repeated key is an error) into ``sites``."""

    @field_validator("inventory")
    @classmethod
    def _inside_project(cls, inventory: str | None) -> str | None:
        if inventory is not None and not inventory_path_ok(inventory):
            raise ValueError(
                f"inventory {inventory!r} must be a path inside the project (no '..' segment)"
            )
        return inventory

    @field_validator("sites")
    @classmethod
    def _unique_names(cls, sites: tuple[FleetSite, ...]) -> tuple[FleetSite, ...]:
        first: dict[str, int] = {}
        for index, site in enumerate(sites):
            if site.name in first:
                raise ValueError(
                    f"site name {site.name!r} is used by sites[{first[site.name]}] and "
                    f"sites[{index}]; each site of a fleet needs its own name"
                )
            first[site.name] = index
        return sites

    @model_validator(mode="after")
    def _has_sites(self) -> EdgeFleet:
        if not self.sites:
            where = f"inventory {self.inventory!r} lists none" if self.inventory else "none given"
            raise ValueError(
                f"a fleet needs at least one site ({where}); allowed: sites or inventory"
            )
        return self


class Rollout(SpecModel):
    """How ``pulumi up`` rolls a fleet out: wave by wave, each behind the previous wave's
    health gates."""

    waves: tuple[WaveSize, ...] = Field(default=(1, "100%"), min_length=1)
    """Cumulative sites done after each wave: counts and percentages, each growing, the
    last covering the fleet (``"100%"``). Waves that would add no site are dropped."""

    @field_validator("waves")
    @classmethod
    def _growing(cls, waves: tuple[WaveSize, ...]) -> tuple[WaveSize, ...]:
        for kind in (int, str):
            values = [_size(w) for w in waves if isinstance(w, kind)]
            if values != sorted(set(values)):
                what = "counts" if kind is int else "percentages"
                raise ValueError(f"wave {what} {values} must each be larger than the one before")
        for wave in waves:
            if isinstance(wave, int) and wave < 1:
                raise ValueError(f"wave {wave}: a wave covers at least 1 site")
        return waves


def inventory_path_ok(path: str) -> bool:
    """A project-relative YAML path without ``..`` segments (checked before it is read)."""
    return bool(re.match(INVENTORY_PATTERN, path)) and ".." not in path.split("/")


def _size(wave: WaveSize) -> int:
    if isinstance(wave, int):
        return wave
    found = _PERCENT.match(wave)
    assert found is not None  # the field pattern
    return int(found.group(1))


def resolve_waves(waves: Sequence[WaveSize], sites: int) -> list[int] | str:
    """Site counts per wave for a fleet of ``sites``, or why ``waves`` cannot cover it."""
    done: list[int] = []
    for wave in waves:
        if isinstance(wave, int):
            cumulative = min(wave, sites)
        else:
            cumulative = math.ceil(sites * _size(wave) / 100)
        if not done or cumulative > done[-1]:
            done.append(cumulative)
    if done[-1] != sites:
        return (
            f"the waves cover {done[-1]} of the fleet's {sites} sites; end with '100%' "
            f"(or a count of at least {sites})"
        )
    return [b - a for a, b in zip([0, *done], done, strict=False)]


@dataclass(frozen=True)
class FleetMember:
    """Where an expanded edge target came from."""

    fleet: str
    """The stack entry (fleet) name."""
    site_index: int
    wave: int
    """1-based wave number."""
    waves: int
    """How many waves the fleet has."""
    path: str
    """Key path of the site's entry, e.g. ``targets.plants.fleet.sites[2]``."""
    inventory: str | None = None
