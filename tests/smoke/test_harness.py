"""The smoke harness itself, with the router's core in process: a stack whose targets use
schemes the router supports passes; a target whose auth the router cannot satisfy fails
the probes that reach it; a router that ignores residency is caught by what the fakes
recorded. Configs come from the real renderer over an offline plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplane.plan import run_program
from inferplane.routerconfig import endpoints_from_graph, stack_router_config
from inferplane.smoke import probes, run_smoke
from inferplane.spec import load_stack, provider_regions
from router.config import RouterConfig, TargetAuth
from tests.smoke.inprocess import InProcessRouter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev() -> RouterConfig:
    stack_file = load_stack(ROOT, "dev")
    graph = run_program(ROOT, stack_file)
    endpoints = endpoints_from_graph(graph, stack_file.spec)
    return stack_router_config(
        stack_file.spec, "dev", endpoints, provider_regions(stack_file.config)
    )


def test_probes_cover_each_served_route_and_every_target(dev: RouterConfig) -> None:
    planned = {(p.route, p.data_class, p.stream) for p in probes(dev)}
    # restricted is refused at this (cloud) router, so its route serves nothing here.
    assert {(route, dc) for route, dc, _ in planned} == {
        (route, dc)
        for route in ("fast", "default", "pin:claude-haiku", "pin:llama-lab")
        for dc in ("public", "internal")
    }
    assert {stream for _, _, stream in planned} == {False, True}
    assert len({p.smoke_id for p in probes(dev)}) == len(probes(dev))


def test_a_stack_with_supported_schemes_passes(dev: RouterConfig) -> None:
    report = run_smoke("dev", dev, InProcessRouter)
    assert report.ok, [o.detail for o in report.outcomes if not o.ok]
    assert {o.target for o in report.outcomes} == {"claude-haiku", "llama-lab"}
    assert report.leaks == ()


def test_a_scheme_the_router_does_not_send_fails_the_smoke(dev: RouterConfig) -> None:
    targets = dict(dev.targets)
    targets["llama-lab"] = targets["llama-lab"].model_copy(
        update={"auth": TargetAuth(scheme="google_id_token", audience="http://austin-lab:8088")}
    )
    report = run_smoke("dev", dev.model_copy(update={"targets": targets}), InProcessRouter)
    assert not report.ok
    failed = {o.probe.route for o in report.outcomes if not o.ok}
    assert "pin:llama-lab" in failed
    assert "pin:claude-haiku" not in failed
    details = " ".join(o.detail for o in report.outcomes if not o.ok)
    assert "llama-lab: no Authorization: Bearer token" in details


def test_a_router_that_ignores_residency_is_caught(dev: RouterConfig) -> None:
    def everything_everywhere(config: RouterConfig) -> RouterConfig:
        classes = tuple(config.data_classes)
        targets = {
            n: t.model_copy(update={"allowed_data_classes": classes})
            for n, t in config.targets.items()
        }
        return config.model_copy(update={"targets": targets, "refused_data_classes": {}})

    # The harness's view: claude-haiku may take only public; the router is given a
    # config that lets every target take every class.
    targets = dict(dev.targets)
    targets["claude-haiku"] = targets["claude-haiku"].model_copy(
        update={"allowed_data_classes": ("public",)}
    )
    narrowed = dev.model_copy(update={"targets": targets})
    report = run_smoke(
        "dev", narrowed, lambda env: InProcessRouter(env, tamper=everything_everywhere)
    )
    assert not report.ok
    assert any(leak.startswith("claude-haiku received 'internal'") for leak in report.leaks)
