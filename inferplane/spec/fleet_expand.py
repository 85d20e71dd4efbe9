"""Fleet entries -> one edge target per site (see ``inferplane.spec.fleet``).

Two steps around the spec's validation, both called by ``parse_spec``:

- ``read_inventories`` (before): a fleet's ``inventory`` file is read with the strict YAML
  loader and its ``sites`` put in place, so pydantic checks them like inline sites;
- ``expand_fleets`` (after): each fleet entry becomes ``<entry>-<site>`` edge targets
  carrying their wave (``EdgeTarget.member``); routes naming the fleet name its sites.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from inferplane.errors import ConfigFileError, DuplicateKeyError, Issue, key_path
from inferplane.spec.base import NAME_PATTERN
from inferplane.spec.fleet import (
    EdgeFleet,
    FleetMember,
    FleetSite,
    Rollout,
    inventory_path_ok,
    resolve_waves,
)
from inferplane.spec.stack import StackSpec
from inferplane.spec.targets import EdgeTarget
from inferplane.yamlload import read_yaml

__all__ = ["expand_fleets", "read_inventories"]

_NAME_MAX = 40


def read_inventories(data: object, project: Path | None = None) -> tuple[object, list[Issue]]:
    """``data`` with every fleet inventory file read into the fleet's ``sites``.

    Paths are relative to ``project`` (default: the working directory, which is the
    project directory under Pulumi and for the CLI). A file that is missing, is not YAML,
    repeats a key, or has no ``sites`` list is an Issue at ``targets.<name>.fleet.inventory``."""
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        return data, []
    issues: list[Issue] = []
    updated = dict(targets)
    for name, entry in targets.items():
        fleet = entry.get("fleet") if isinstance(entry, dict) else None
        if not isinstance(fleet, dict) or not isinstance(fleet.get("inventory"), str):
            continue
        if not inventory_path_ok(fleet["inventory"]):
            continue  # not read: the spec's validation reports the path
        path = f"targets.{name}.fleet"
        if "sites" in fleet:
            issues.append(Issue(path, "give sites or inventory, not both", fleet["inventory"]))
            continue
        sites, problem = _read_sites((project or Path.cwd()) / fleet["inventory"])
        if problem is not None:
            issues.append(Issue(f"{path}.inventory", problem, fleet["inventory"]))
            continue
        updated[name] = {**entry, "fleet": {**fleet, "sites": sites}}
    assert isinstance(data, dict)
    return {**data, "targets": updated}, issues


def _read_sites(file: Path) -> tuple[object, str | None]:
    try:
        loaded = read_yaml(file, "fleet inventory")
    except DuplicateKeyError as error:
        repeats = "; ".join(f"{i.path}: {i.message}" for i in error.issues)
        return None, f"the inventory {file.name} repeats keys: {repeats}"
    except ConfigFileError as error:
        return None, str(error)
    if not isinstance(loaded, dict) or set(loaded) != {"sites"}:
        return None, f"the inventory {file.name} must hold one key, sites: a list of sites"
    sites = loaded["sites"]
    if not isinstance(sites, list):
        return None, f"sites in the inventory {file.name} must be a list of sites"
    return sites, None


def expand_fleets(spec: StackSpec) -> tuple[StackSpec, list[Issue]]:
    """``spec`` with each fleet entry replaced by its site targets, and the problems that
    stop the expansion (waves that cannot cover the fleet, target names that collide)."""
    fleets: dict[str, EdgeTarget] = {
        n: t for n, t in spec.targets.items() if isinstance(t, EdgeTarget) and t.fleet
    }
    if not fleets:
        return spec, []
    issues: list[Issue] = []
    targets: dict[str, Any] = {}
    members: dict[str, list[str]] = {}
    for name, target in spec.targets.items():
        if name not in fleets:
            targets[name] = target
            continue
        expanded = dict(_sites(name, fleets[name], spec, issues))
        members[name] = list(expanded)
        for site_target, value in expanded.items():
            if site_target in spec.targets or site_target in targets:
                assert value.member is not None
                issues.append(
                    Issue(
                        f"{value.member.path}.name",
                        f"the site's target name {site_target!r} is already a target; "
                        "rename the site or that target",
                        value.site,
                    )
                )
            targets[site_target] = value
    routes = tuple(
        route.model_copy(
            update={"targets": tuple(s for t in route.targets for s in members.get(t, [t]))}
        )
        for route in spec.routes
    )
    return spec.model_copy(update={"targets": targets, "routes": routes}), issues


def _sites(
    name: str, entry: EdgeTarget, spec: StackSpec, issues: list[Issue]
) -> Iterator[tuple[str, EdgeTarget]]:
    fleet = entry.fleet
    assert isinstance(fleet, EdgeFleet)
    rollout = entry.rollout or Rollout()
    sizes = resolve_waves(rollout.waves, len(fleet.sites))
    if isinstance(sizes, str):
        issues.append(Issue(f"targets.{name}.rollout.waves", sizes, None))
        return
    waves = [w for w, size in enumerate(sizes, start=1) for _ in range(size)]
    for index, (site, wave) in enumerate(zip(fleet.sites, waves, strict=True)):
        path = key_path(("targets", name, "fleet", "sites", index))
        member = FleetMember(name, index, wave, len(sizes), path, fleet.inventory)
        target_name = f"{name}-{site.name}"
        if len(target_name) > _NAME_MAX:
            issues.append(
                Issue(
                    f"{path}.name",
                    f"the site's target name {target_name!r} is longer than {_NAME_MAX} "
                    f"characters ({NAME_PATTERN}); shorten the fleet or site name",
                    site.name,
                )
            )
            continue
        if site.zone is not None and site.zone != spec.residency.zone:
            issues.append(
                Issue(
                    f"{path}.zone",
                    f"the site is in zone {site.zone!r}, outside the stack's residency zone "
                    f"{spec.residency.zone!r}; allowed: {spec.residency.zone}",
                    site.zone,
                )
            )
        problem = _site_ssh_problem(entry, site)
        if problem is not None:
            issues.append(Issue(f"{path}.host_key", problem, None))
        yield target_name, _site_target(entry, site, member)


def _site_ssh_problem(entry: EdgeTarget, site: FleetSite) -> str | None:
    if entry.ssh is None:
        return None
    if site.host_key is None and entry.ssh.host_key is None:
        return "ssh deployment needs each site's public host key (host_key)"
    if site.address is None:
        return "ssh deployment needs each site's address"
    if site.bundle is None and entry.bundle is None:
        return "ssh deployment needs a bundle (the entry's bundle, or the site's)"
    return None


def _site_target(entry: EdgeTarget, site: FleetSite, member: FleetMember) -> EdgeTarget:
    overrides: Mapping[str, Any] = {
        k: v
        for k, v in {
            "address": site.address,
            "via": site.via,
            "latency_ms_p50": site.latency_ms_p50,
            "key_secret": site.key_secret,
            "ca_secret": site.ca_secret,
        }.items()
        if v is not None
    }
    bundle = site.bundle or (entry.bundle.replace("{site}", site.name) if entry.bundle else None)
    ssh = entry.ssh
    if ssh is not None and site.host_key is not None:
        ssh = ssh.model_copy(update={"host_key": site.host_key})
    target = entry.model_copy(
        update={
            **overrides,
            "site": site.name,
            "fleet": None,
            "rollout": None,
            "bundle": bundle,
            "ssh": ssh,
        }
    )
    target._member = member
    return target
