"""EdgeFleet under the recording mock engine, on a REAL bundle: five sites in three waves.
Asserts the exact dependency edges between waves (wave k+1's first command waits for every
gate of wave k, and for nothing else), the commands each site runs (site values quoted by
components.shell), and the fleet's and sites' outputs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.edge.bundle import Bundle
from components.edge.edge_fleet import EdgeFleet, EdgeFleetArgs, FleetSite
from components.edge.edge_site import EdgeSiteArgs
from components.shell import UnsafeValueError
from inferplane.plan.graph import Graph, Resource
from tests.components.edge.test_edge_site import args, commands
from tests.support.edgesite import SiteBundle, build_site_bundle, dev_spec, fetch_images
from tests.support.recording import only, record, refusal
from tests.support.routersource import router_source

SITES = ("plant-a", "plant-b", "plant-c", "plant-d", "plant-e")
WAVES = (1, 2, 3, 3, 3)
FLEET = "inferplane:edge:EdgeFleet"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    tmp = tmp_path_factory.mktemp("fleet")
    built: SiteBundle = build_site_bundle(
        dev_spec(), "dev", "austin-lab", router_source(), tmp / "b"
    )
    return fetch_images(built, tmp / "fetch")


def site_args(bundle: Bundle, site: str, index: int, **changes: Any) -> EdgeSiteArgs:
    return args(bundle, site=site, address=f"10.20.0.{10 + index}", **changes)


def fleet_args(bundle: Bundle) -> EdgeFleetArgs:
    return EdgeFleetArgs(
        tuple(
            FleetSite(f"llama-{site}", wave, site_args(bundle, site, i))
            for i, (site, wave) in enumerate(zip(SITES, WAVES, strict=True))
        )
    )


def fleet_graph(fleet: EdgeFleetArgs) -> Graph:
    return record(lambda: EdgeFleet("llama", fleet))


def by_name(graph: Graph) -> dict[str, Resource]:
    return commands(graph)


def test_each_wave_waits_for_every_gate_of_the_wave_before(bundle: Bundle) -> None:
    found = by_name(fleet_graph(fleet_args(bundle)))
    gate = {site: found[f"llama-{site}-gate"].urn for site in SITES}
    prepare = {site: found[f"llama-{site}-prepare"] for site in SITES}
    assert prepare["plant-a"].dependencies == []
    assert prepare["plant-b"].dependencies == [gate["plant-a"]]
    for site in ("plant-c", "plant-d", "plant-e"):
        assert prepare[site].dependencies == [gate["plant-b"]]
    # Every other command of a site hangs off its prepare, so nothing of wave k+1 runs
    # before wave k is gated; the gate waits for its own install only.
    for site in SITES:
        install = found[f"llama-{site}-install"]
        assert found[f"llama-{site}-gate"].dependencies == [install.urn]
        assert found[f"llama-{site}-bundle"].dependencies == [prepare[site].urn]
        assert found[f"llama-{site}-tls"].dependencies == [prepare[site].urn]


def test_every_site_is_its_own_edge_site_under_the_fleet(bundle: Bundle) -> None:
    graph = fleet_graph(fleet_args(bundle))
    fleet = only(graph, FLEET)
    sites = graph.by_type("inferplane:edge:EdgeSite")
    assert [s.name for s in sites] == [f"llama-{s}" for s in SITES]
    assert {s.parent for s in sites} == {fleet.urn}
    assert fleet.outputs["waves"] == [
        ["llama-plant-a"],
        ["llama-plant-b"],
        ["llama-plant-c", "llama-plant-d", "llama-plant-e"],
    ]
    for site, wave, resource in zip(SITES, WAVES, sites, strict=True):
        assert resource.outputs["site"] == site
        status = resource.outputs["status"]
        assert (status["site"], status["wave"], status["release"]) == (site, wave, bundle.digest)
        assert set(status) == {"site", "wave", "release", "health"}
    assert set(fleet.outputs["status"]) == {f"llama-{s}" for s in SITES}
    assert fleet.outputs["status"]["llama-plant-c"]["wave"] == 3


def test_commands_carry_each_sites_values(bundle: Bundle) -> None:
    found = by_name(fleet_graph(fleet_args(bundle)))
    for site in SITES:
        gate = found[f"llama-{site}-gate"].inputs["stdin"]
        assert f"\nsite={site}\n" in gate
        assert f"\nexpected={bundle.digest}\n" in gate
        assert "'/opt/inferplane'/current/install.sh" not in gate  # safe words stay bare
        assert '"$root"/opt/inferplane/current/install.sh' in gate
        assert "https://127.0.0.1:8088/readyz" in gate
        install = found[f"llama-{site}-install"].inputs["stdin"]
        assert install.endswith('exec "$release"/install.sh k3s\n')
        assert found[f"llama-{site}-prepare"].inputs["create"] == (
            "sudo -n install -d -m 0755 -o inferplane /opt/inferplane/incoming"
        )


def test_a_site_name_that_is_not_a_name_is_refused(bundle: Bundle) -> None:
    bad = fleet_args(bundle)
    first = bad.sites[0]
    bad = replace(bad, sites=(replace(first, args=replace(first.args, site="a;reboot")),))
    error, graph = refusal(lambda: EdgeFleet("llama", bad))
    assert "site 'a;reboot' is not a site name" in str(error)
    assert graph.by_type("command:remote:Command") == []


def test_gate_script_refuses_control_characters() -> None:
    from components.edge.health_gate import gate_script

    with pytest.raises(UnsafeValueError, match="site name"):
        gate_script("plant\nreboot", "0" * 64, 8088)


@pytest.mark.parametrize(
    ("waves", "message"),
    [
        ((), "a fleet needs at least one site"),
        ((2, 2), "is in wave 2 after wave 0"),
        ((1, 3), "is in wave 3 after wave 1"),
        ((1, 2, 1), "is in wave 1 after wave 2"),
    ],
)
def test_waves_must_be_in_order(bundle: Bundle, waves: tuple[int, ...], message: str) -> None:
    sites = tuple(
        FleetSite(f"llama-{SITES[i]}", wave, site_args(bundle, SITES[i], i))
        for i, wave in enumerate(waves)
    )
    error, graph = refusal(lambda: EdgeFleet("llama", EdgeFleetArgs(sites)))
    assert message in str(error)
    assert graph.resources == []


def test_a_repeated_site_is_refused(bundle: Bundle) -> None:
    one_site = site_args(bundle, "plant-a", 0)
    sites = (FleetSite("llama-plant-a", 1, one_site), FleetSite("llama-plant-a2", 1, one_site))
    error, _ = refusal(lambda: EdgeFleet("llama", EdgeFleetArgs(sites)))
    assert "is listed twice" in str(error)


def test_hand_installed_sites_have_no_gate_and_hold_back_nothing(bundle: Bundle) -> None:
    fleet = EdgeFleetArgs(
        (
            FleetSite("llama-plant-a", 1, site_args(bundle, "plant-a", 0, ssh=None)),
            FleetSite("llama-plant-b", 2, site_args(bundle, "plant-b", 1)),
        )
    )
    graph = fleet_graph(fleet)
    found = by_name(graph)
    assert "llama-plant-a-gate" not in found
    assert found["llama-plant-b-prepare"].dependencies == []
    status = only(graph, FLEET).outputs["status"]["llama-plant-a"]
    assert status["health"] == "not gated: installed by the site operator"


def test_after_is_applied_to_prepare_only(bundle: Bundle) -> None:
    """A single site (not in a fleet) waits for nothing."""
    from components.edge.edge_site import EdgeSite

    graph = record(lambda: EdgeSite("solo", site_args(bundle, "plant-a", 0)))
    found = by_name(graph)
    assert found["solo-prepare"].dependencies == []
