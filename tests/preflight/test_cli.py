"""`inferplane preflight` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferplane.preflight import FoundationModel
from tests.preflight.conftest import FakeCapacity
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
DEV_MODEL = "amazon.nova-lite-v1:0"
"""The dev stack's Bedrock model."""


@pytest.mark.usefixtures("no_aws_credentials")
def test_preflight_without_credentials_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["preflight", "--stack", "dev", "--project", str(ROOT)], monkeypatch, capsys
    )
    assert code == 2
    assert "no AWS credentials found" in err


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(("models", "code"), [({DEV_MODEL: ("ON_DEMAND",)}, 0), ({}, 1)])
def test_preflight_report_and_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    models: dict[str, tuple[str, ...]],
    code: int,
) -> None:
    # moto answers everything but the adapter's APIs; the CLI gets the fake adapter.
    fake = FakeCapacity(models={m: FoundationModel(m, t) for m, t in models.items()})
    monkeypatch.setattr("inferplane.preflight.runner.Boto3CapacityApi", lambda clients: fake)
    exit_code, out, _ = run_cli(
        ["preflight", "--stack", "dev", "--project", str(ROOT), "--format", "json"],
        monkeypatch,
        capsys,
    )
    data = json.loads(out)
    statuses = {(r["check"], r["subject"]): r["status"] for r in data["results"]}
    assert statuses[("service-offered", "claude-haiku")] == "pass"
    assert statuses[("service-offered", "router")] == "pass"
    assert statuses[("outside-aws", "llama-lab")] == "could-not-check"
    assert statuses[("bedrock-model", "claude-haiku")] == ("pass" if models else "fail")
    assert exit_code == code
