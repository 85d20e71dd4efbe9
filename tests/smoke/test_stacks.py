"""``router smoke`` over every shipped stack, against the packaged router (the Lambda zip
built for this machine): every route and data class, and every target, answer through
fakes that enforce the target's wire protocol and auth; nothing crosses residency.

A stack whose targets use an auth scheme the router cannot send yet is marked
``xfail(strict=True)`` with the scheme, and flipped once the provider lands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from inferplane.packaging import default_cache
from inferplane.plan import run_program
from inferplane.router.config import RouterConfig
from inferplane.routerconfig import endpoints_from_graph, stack_router_config
from inferplane.smoke import SmokeReport, run_smoke
from inferplane.smoke.packaged import LambdaZipRouter, host_zip
from inferplane.spec import load_stack, provider_regions
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
)
NOT_YET: dict[str, str] = {}
"""Stack -> the auth scheme(s) the router cannot send yet (see the module docstring)."""


@pytest.fixture(scope="module")
def package() -> Path:
    # Where `inferplane router smoke` keeps it: rebuilt only when the router changed.
    return host_zip(ROOT, ROOT / "build" / "smoke", default_cache(ROOT), lambda message: None)


def _config(stack: str) -> RouterConfig:
    stack_file = load_stack(ROOT, stack)
    graph = run_program(ROOT, stack_file)
    endpoints = endpoints_from_graph(graph, stack_file.spec)
    return stack_router_config(
        stack_file.spec, stack, endpoints, provider_regions(stack_file.config)
    )


def _failures(report: SmokeReport) -> list[str]:
    return (
        [
            f"{o.probe.route}/{o.probe.data_class}/stream={o.probe.stream}: {o.detail}"
            for o in report.outcomes
            if not o.ok
        ]
        + list(report.leaks)
        + list(report.problems)
    )


@pytest.mark.parametrize(
    "stack",
    [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[s]))
        if s in NOT_YET
        else s
        for s in STACKS
    ],
)
def test_every_shipped_stack_passes_the_smoke(stack: str, package: Path) -> None:
    config = _config(stack)
    report = run_smoke(stack, config, lambda env: LambdaZipRouter(package, env))
    assert report.ok, _failures(report)
    # Every target answered at least one probe, and every served route did.
    assert {o.target for o in report.outcomes} == set(config.targets)


def test_one_stack_smokes_in_under_30_seconds(package: Path) -> None:
    config = _config("prod-us-east-1")
    started = time.perf_counter()
    report = run_smoke("prod-us-east-1", config, lambda env: LambdaZipRouter(package, env))
    seconds = time.perf_counter() - started
    print(f"prod-us-east-1 smoke: {len(report.outcomes)} probes in {seconds:.1f}s")
    assert report.ok, _failures(report)
    assert seconds < 30


def test_cli_prints_the_table_and_exits_zero(
    package: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        [
            "router",
            "smoke",
            "--stack",
            "prod-europe-west4",
            "--zip",
            str(package),
            "--project",
            str(ROOT),
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0, out + err
    assert "router smoke: prod-europe-west4" in out
    assert "pin:gemma-vertex" in out
    assert "fail" not in out
