"""Edge fleets in the spec: inline sites or an inventory file, expanded into one edge
target per site with its wave; every bad fleet is an error at the key the user wrote."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.routerconfig import render_router_config
from inferplane.spec import StackSpec, parse_spec
from inferplane.spec.fleet import resolve_waves
from inferplane.spec.targets import EdgeTarget

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfflineTestKeyOfflineTestKeyOfflineTest"
SITES = ["plant-a", "plant-b", "plant-c", "plant-d", "plant-e"]
INVENTORY = """\
sites:
  - {name: plant-a, address: 10.20.0.10, zone: eu}
  - {name: plant-b, address: 10.20.0.11}
  - {name: plant-c, address: 10.20.0.12, latency_ms_p50: 50}
  - {name: plant-d, address: 10.20.0.13}
  - {name: plant-e, address: 10.20.0.14}
"""


def raw(**fleet_entry: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "edge",
        "profile": "jetson-orin",
        "model": "llama-3.1-8b-instruct",
        "serving": {"engine": "llamacpp", "quantization": "q4_k_m"},
        "latency_ms_p50": 30,
        "fleet": {
            "sites": [{"name": s, "address": f"10.20.0.{10 + i}"} for i, s in enumerate(SITES)]
        },
        "rollout": {"waves": [1, "25%", "100%"]},
    }
    return {
        "environment": "prod",
        "owner": "ml-platform",
        "cost_center": "cc-4711",
        "residency": {"zone": "eu", "regions": {"aws": ["eu-central-1"]}, "edge_sites": SITES},
        "data_classes": {"restricted": {"placement": "edge"}, "public": {"placement": "any"}},
        "targets": {
            "plants": {**entry, **fleet_entry},
            "nova": {"kind": "bedrock", "region": "eu-central-1", "model": "amazon.nova-lite-v1:0"},
        },
        "routes": [
            {"name": "restricted", "match": {"data_class": "restricted"}, "targets": ["plants"]},
            {"name": "default", "targets": ["nova", "plants"]},
        ],
        "router": {
            "platform": "lambda",
            "keys": [{"id": "app", "salt": "0123456789abcdef", "sha256": "0" * 64}],
        },
    }


def parse(data: dict[str, Any]) -> StackSpec:
    return parse_spec(data, "test", {"aws": "eu-central-1"})


def test_a_fleet_becomes_one_target_per_site_in_waves() -> None:
    spec = parse(raw())
    sites = {n: t for n, t in spec.targets.items() if isinstance(t, EdgeTarget)}
    assert list(sites) == [f"plants-{s}" for s in SITES]
    members = [t.member for t in sites.values()]
    assert [m.wave if m else None for m in members] == [1, 2, 3, 3, 3]
    assert {m.waves if m else None for m in members} == {3}
    assert [str(t.location) for t in sites.values()] == [f"edge:{s}" for s in SITES]
    assert sites["plants-plant-c"].address == "10.20.0.12"
    assert [r.targets for r in spec.routes] == [
        tuple(f"plants-{s}" for s in SITES),
        ("nova", *(f"plants-{s}" for s in SITES)),
    ]


def test_router_config_has_one_target_per_site_each_with_its_location() -> None:
    spec = parse(raw())
    endpoints: dict[str, Any] = {
        name: {"backend": "openai", "url": f"https://{name}:8088/v1"} for name in spec.targets
    }
    config = render_router_config(spec, "test", endpoints)
    assert {n: t.location for n, t in config.targets.items() if n.startswith("plants-")} == {
        f"plants-{s}": f"edge:{s}" for s in SITES
    }
    assert all(
        t.allowed_data_classes == ("restricted", "public")
        for n, t in config.targets.items()
        if n.startswith("plants-")
    )


def test_an_inventory_file_is_read_from_the_project_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fleets").mkdir()
    (tmp_path / "fleets" / "plants.yaml").write_text(INVENTORY)
    monkeypatch.chdir(tmp_path)
    spec = parse(raw(fleet={"inventory": "fleets/plants.yaml"}))
    target = spec.targets["plants-plant-c"]
    assert isinstance(target, EdgeTarget)
    assert (target.address, target.latency_ms_p50) == ("10.20.0.12", 50)
    assert target.member is not None
    assert target.member.inventory == "fleets/plants.yaml"


def test_site_overrides_and_per_site_bundles(tmp_path: Path) -> None:
    data = raw(
        bundle="build/edge/{site}",
        ssh={"host_key": HOST_KEY},
        fleet={
            "sites": [
                {"name": "plant-a", "address": "10.0.0.1"},
                {"name": "plant-b", "address": "10.0.0.2", "host_key": HOST_KEY + "B"},
            ]
        },
        rollout={"waves": ["50%", "100%"]},
    )
    spec = parse(data)
    a, b = spec.targets["plants-plant-a"], spec.targets["plants-plant-b"]
    assert isinstance(a, EdgeTarget)
    assert isinstance(b, EdgeTarget)
    assert (a.bundle, b.bundle) == ("build/edge/plant-a", "build/edge/plant-b")
    assert a.ssh is not None
    assert b.ssh is not None
    assert (a.ssh.host_key, b.ssh.host_key) == (HOST_KEY, HOST_KEY + "B")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _inventory(text: str | None) -> Callable[[dict[str, Any]], None]:
    """Point the fleet at an inventory file written (or, for None, not written) in cwd."""

    def change(data: dict[str, Any]) -> None:
        if text is not None:
            Path("plants.yaml").write_text(text)
        data["targets"]["plants"]["fleet"] = {"inventory": "plants.yaml"}

    return change


BAD_FLEETS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "duplicate site names": (
        _set("targets.plants.fleet.sites.3.name", "plant-b"),
        "targets.plants.fleet.sites",
        "site name 'plant-b' is used by sites[1] and sites[3]",
    ),
    "a site outside residency": (
        _set("targets.plants.fleet.sites.2.name", "paris-depot"),
        "targets.plants.fleet.sites[2].name",
        "not an edge site of the residency zone",
    ),
    "a site in another zone": (
        _set("targets.plants.fleet.sites.1.zone", "us"),
        "targets.plants.fleet.sites[1].zone",
        "outside the stack's residency zone 'eu'",
    ),
    "a wave of no sites": (
        _set("targets.plants.rollout.waves", [0, "100%"]),
        "targets.plants.rollout.waves",
        "a wave covers at least 1 site",
    ),
    "a percentage over 100": (
        _set("targets.plants.rollout.waves", [1, "150%"]),
        "targets.plants.rollout.waves[1]",
        "wave '150%' is neither a count of sites (1, 2, ...) nor a percentage",
    ),
    "shrinking waves": (
        _set("targets.plants.rollout.waves", ["50%", "25%", "100%"]),
        "targets.plants.rollout.waves",
        "must each be larger than the one before",
    ),
    "waves that stop short of the fleet": (
        _set("targets.plants.rollout.waves", [1, 2]),
        "targets.plants.rollout.waves",
        "the waves cover 2 of the fleet's 5 sites; end with '100%'",
    ),
    "no waves": (
        _set("targets.plants.rollout.waves", []),
        "targets.plants.rollout.waves",
        "at least 1 item",
    ),
    "an empty fleet": (
        _set("targets.plants.fleet.sites", []),
        "targets.plants.fleet",
        "a fleet needs at least one site (none given)",
    ),
    "both site and fleet": (
        _set("targets.plants.site", "plant-a"),
        "targets.plants",
        "give exactly one of site (one site) and fleet (many sites)",
    ),
    "an address for the whole fleet": (
        _set("targets.plants.address", "10.0.0.1"),
        "targets.plants",
        "a fleet's addresses belong to its sites",
    ),
    "a site value with a shell character": (
        _set("targets.plants.fleet.sites.0.address", "10.0.0.1;reboot"),
        "targets.plants.fleet.sites[0].address",
        "String should match pattern",
    ),
    "ssh without the site's host key": (
        _set("targets.plants.ssh", {}),
        "targets.plants.fleet.sites[0].host_key",
        "ssh deployment needs each site's public host key",
    ),
    "a site target name that is taken": (
        lambda d: d["targets"].update({"plants-plant-a": copy.deepcopy(d["targets"]["nova"])}),
        "targets.plants.fleet.sites[0].name",
        "the site's target name 'plants-plant-a' is already a target",
    ),
    "a router on the whole fleet (it runs at one site)": (
        _set("router", {"platform": "edge", "target": "plants"}),
        "router.target",
        "unknown target; defined: plants-plant-a, plants-plant-b",
    ),
    "an inventory file that is missing": (
        _inventory(None),
        "targets.plants.fleet.inventory",
        "cannot read fleet inventory",
    ),
    "an inventory file with a duplicate key": (
        _inventory("sites:\n  - name: plant-a\n    address: 10.0.0.1\n    address: 10.0.0.2\n"),
        "targets.plants.fleet.inventory",
        "the inventory plants.yaml repeats keys: sites[0].address: duplicate key",
    ),
    "an inventory file without a sites list": (
        _inventory("plant-a: {address: 10.0.0.1}\n"),
        "targets.plants.fleet.inventory",
        "must hold one key, sites: a list of sites",
    ),
    "an empty inventory": (
        _inventory("sites: []\n"),
        "targets.plants.fleet",
        "a fleet needs at least one site (inventory 'plants.yaml' lists none)",
    ),
    "an inventory path outside the grammar": (
        _set("targets.plants.fleet", {"inventory": "fleet.yaml;reboot"}),
        "targets.plants.fleet.inventory",
        "String should match pattern",
    ),
    "an inventory path outside the project": (
        _set("targets.plants.fleet", {"inventory": "../other/plants.yaml"}),
        "targets.plants.fleet.inventory",
        "must be a path inside the project (no '..' segment)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FLEETS))
def test_bad_fleets_name_the_key(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    change, path, message = BAD_FLEETS[case]
    data = raw()
    change(data)
    with pytest.raises(SpecError) as raised:
        parse(data)
    found = {issue.path: issue.message for issue in raised.value.issues}
    assert path in found, found
    assert message in found[path]


def test_rollout_needs_a_fleet() -> None:
    data = raw()
    entry = data["targets"]["plants"]
    del entry["fleet"]
    entry["site"] = "plant-a"
    data["routes"] = [{"targets": ["plants"]}]
    with pytest.raises(SpecError) as raised:
        parse(data)
    assert {i.path for i in raised.value.issues} == {"targets.plants"}
    assert "rollout applies to a fleet" in str(raised.value)


@pytest.mark.parametrize(
    ("waves", "sites", "sizes"),
    [
        ((1, "25%", "100%"), 5, [1, 1, 3]),
        ((1, "100%"), 1, [1]),
        (("10%", "100%"), 3, [1, 2]),
        ((1, "10%", "100%"), 5, [1, 4]),  # 10% of 5 rounds up to 1: that wave adds no site
        ((2, 10), 5, [2, 3]),
        (
            ("50%",),
            4,
            "the waves cover 2 of the fleet's 4 sites; end with '100%' (or a count of at least 4)",
        ),
    ],
)
def test_waves_resolve_to_site_counts(
    waves: tuple[int | str, ...], sites: int, sizes: list[int] | str
) -> None:
    assert resolve_waves(waves, sites) == sizes
