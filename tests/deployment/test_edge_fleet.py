"""Spec fleet -> EdgeFleet: the real deployment on a real bundle (waves wired from the
spec's rollout, each site its own target and stack output), and the shipped hybrid stack's
fleet planned end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferplane.deployment import DeployContext, deploy
from inferplane.plan.graph import Graph
from inferplane.plan.runner import run_program
from inferplane.spec import load_stack, parse_spec
from inferplane.stackoutputs import EDGE_SITES, stack_outputs
from tests.deployment.test_edge import HOST_KEY, SSH_KEY, raw_spec, write_bundle
from tests.support.recording import only, record

ROOT = Path(__file__).resolve().parents[2]
SITES = ("plant-a", "plant-b", "plant-c", "plant-d", "plant-e")


def fleet_spec(bundle: Path) -> dict[str, Any]:
    data = raw_spec()
    entry = data["targets"].pop("llama-plant")
    del entry["site"]
    entry["ssh"] = {"host_key": HOST_KEY}
    # One real bundle for every site (the component does not read the site's name in it).
    entry["bundle"] = str(bundle)
    entry["fleet"] = {
        "sites": [{"name": s, "address": f"10.20.0.{10 + i}"} for i, s in enumerate(SITES)]
    }
    entry["rollout"] = {"waves": [1, "25%", "100%"]}
    data["targets"]["plants"] = entry
    data["residency"]["edge_sites"] = list(SITES)
    data["routes"] = [{"match": {"data_class": "restricted"}, "targets": ["plants"]}]
    data["router"]["target"] = "plants-plant-a"
    return data


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, dict[str, Any]]:
    bundle = write_bundle(tmp_path_factory.mktemp("fleet") / "out" / "munich-plant")
    spec = parse_spec(fleet_spec(bundle), "test", {"aws": "eu-central-1"})
    outputs: dict[str, Any] = {}

    def program() -> None:
        deployment = deploy(spec, DeployContext(spec, "prod"))
        sites = stack_outputs(spec, deployment)[EDGE_SITES]
        for name, status in sites.items():
            status.apply(lambda value, n=name: outputs.update({n: value}))

    return record(program, SSH_KEY, secret_keys=list(SSH_KEY)), outputs


def test_waves_follow_the_spec_rollout(planned: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = planned
    fleet = only(graph, "inferplane:edge:EdgeFleet")
    assert fleet.name == "plants"
    assert fleet.outputs["waves"] == [
        ["plants-plant-a"],
        ["plants-plant-b"],
        ["plants-plant-c", "plants-plant-d", "plants-plant-e"],
    ]
    commands = {r.name: r for r in graph.by_type("command:remote:Command")}
    gate = {s: commands[f"plants-{s}-gate"].urn for s in SITES}
    edges = {s: commands[f"plants-{s}-prepare"].dependencies for s in SITES}
    assert edges == {
        "plant-a": [],
        "plant-b": [gate["plant-a"]],
        "plant-c": [gate["plant-b"]],
        "plant-d": [gate["plant-b"]],
        "plant-e": [gate["plant-b"]],
    }


def test_each_site_is_a_stack_output(planned: tuple[Graph, dict[str, Any]]) -> None:
    graph, outputs = planned
    assert set(outputs) == {f"plants-{s}" for s in SITES}
    copies = {r.inputs["triggers"][0] for r in graph.by_type("command:remote:CopyToRemote")}
    assert {o["release"] for o in outputs.values()} == copies
    assert len(copies) == 1
    assert {n: (o["site"], o["wave"]) for n, o in outputs.items()} == {
        "plants-plant-a": ("plant-a", 1),
        "plants-plant-b": ("plant-b", 2),
        "plants-plant-c": ("plant-c", 3),
        "plants-plant-d": ("plant-d", 3),
        "plants-plant-e": ("plant-e", 3),
    }


def test_hybrid_stack_plans_its_fleet_and_routes_to_every_site() -> None:
    graph = run_program(ROOT, load_stack(ROOT, "hybrid"))
    fleet = only(graph, "inferplane:edge:EdgeFleet")
    assert fleet.outputs["waves"] == [
        ["llama-munich-plant"],
        ["llama-augsburg-plant", "llama-ulm-plant"],
    ]
    sites = {r.name: r.outputs for r in graph.by_type("inferplane:edge:EdgeSite")}
    assert {n: o["endpoint"]["reach"]["network"] for n, o in sites.items()} == {
        "llama-munich-plant": "munich-plant",
        "llama-augsburg-plant": "augsburg-plant",
        "llama-ulm-plant": "ulm-plant",
    }
    assert graph.stack_outputs[EDGE_SITES] == {
        name: {
            "site": out["site"],
            "wave": 1 if name == "llama-munich-plant" else 2,
            "release": None,
            "health": "not gated: installed by the site operator",
        }
        for name, out in sites.items()
    }
    [service] = [
        r for r in graph.by_type("gcp:cloudrunv2/service:Service") if r.name == "router-run-service"
    ]
    [container] = service.inputs["template"]["containers"]
    env = {e["name"]: e.get("value") for e in container["envs"]}
    config = json.loads(next(v for v in env.values() if isinstance(v, str) and '"routes"' in v))
    restricted = next(r for r in config["routes"] if r["name"] == "restricted")
    assert restricted["targets"] == list(sites)
    assert {n: config["targets"][n]["location"] for n in sites} == {
        n: f"edge:{o['site']}" for n, o in sites.items()
    }
