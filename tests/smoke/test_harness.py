"""The smoke harness itself, with the router's core in process: a stack whose targets use
schemes the router supports passes; a target whose auth the router cannot satisfy fails
the probes that reach it; a router that ignores residency is caught by what the fakes
recorded. Configs come from the real renderer over an offline plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplane.plan import run_program
from inferplane.router.config import RouterConfig, TargetAuth
from inferplane.routerconfig import endpoints_from_graph, stack_router_config
from inferplane.smoke import probes, run_smoke
from inferplane.spec import load_stack, provider_regions
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
    keys = {key.id: f"secret-of-{key.id}" for key in dev.keys}
    planned = {(p.route, p.data_class, p.stream) for p in probes(dev, keys)}
    # restricted is refused at this (cloud) router, so its route serves nothing here.
    assert {(route, dc) for route, dc, _ in planned} == {
        (route, dc)
        for route in ("fast", "default", "pin:claude-haiku", "pin:llama-lab")
        for dc in ("public", "internal")
    }
    assert {stream for _, _, stream in planned} == {False, True}
    # The first key that may send each probe: app-backend sends internal and public.
    assert {p.headers["authorization"] for p in probes(dev, keys)} == {
        "Bearer secret-of-app-backend"
    }
    assert len({p.smoke_id for p in probes(dev, keys)}) == len(probes(dev, keys))
    # Without any usable key the router requires, nothing can be probed.
    assert probes(dev, {}) == []


def test_a_stack_with_supported_schemes_passes(dev: RouterConfig) -> None:
    report = run_smoke("dev", dev, InProcessRouter)
    assert report.ok, [o.detail for o in report.outcomes if not o.ok]
    assert {o.target for o in report.outcomes} == {"claude-haiku", "llama-lab"}
    assert report.leaks == ()


def _with_auth(config: RouterConfig, target: str, auth: TargetAuth) -> RouterConfig:
    targets = dict(config.targets)
    targets[target] = targets[target].model_copy(update={"auth": auth})
    return config.model_copy(update={"targets": targets})


@pytest.mark.parametrize(
    ("target", "auth"),
    [
        # ID token from the fake metadata server (GCE_METADATA_HOST)
        ("llama-lab", {"scheme": "google_id_token", "audience": "http://austin-lab:8088"}),
        ("llama-lab", {"scheme": "google_access_token"}),
        # managed identity through IDENTITY_ENDPOINT / IDENTITY_HEADER
        ("llama-lab", {"scheme": "azure_entra", "scope": "https://ml.azure.com/.default"}),
        ("llama-lab", {"scheme": "api_key", "secret": {"store": "env", "name": "LAB_KEY"}}),
        # SigV4 by boto3 with the router's (fake) AWS identity, verified by botocore
        ("claude-haiku", {"scheme": "sigv4", "service": "bedrock"}),
    ],
    ids=lambda value: value if isinstance(value, str) else value["scheme"],
)
def test_router_credentials_from_the_fake_issuers_pass(
    dev: RouterConfig, target: str, auth: dict[str, object]
) -> None:
    config = _with_auth(dev, target, TargetAuth.model_validate(auth))
    report = run_smoke("dev", config, InProcessRouter)
    assert report.ok, [o.detail for o in report.outcomes if not o.ok]


def test_a_credential_the_target_does_not_accept_fails_the_smoke(dev: RouterConfig) -> None:
    fakes_want = TargetAuth(scheme="google_id_token", audience="http://austin-lab:8088")
    router_sends = TargetAuth(scheme="google_id_token", audience="http://elsewhere:8088")

    def wrong_audience(config: RouterConfig) -> RouterConfig:
        return _with_auth(config, "llama-lab", router_sends)

    report = run_smoke(
        "dev",
        _with_auth(dev, "llama-lab", fakes_want),
        lambda env: InProcessRouter(env, tamper=wrong_audience),
    )
    assert not report.ok
    failed = {o.probe.route for o in report.outcomes if not o.ok}
    assert "pin:llama-lab" in failed
    assert "pin:claude-haiku" not in failed
    details = " ".join(o.detail for o in report.outcomes if not o.ok)
    assert "token for 'http://elsewhere:8088', the target is 'http://austin-lab:8088'" in details


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
