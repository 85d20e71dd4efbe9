"""`inferplane cost` through the CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_cost_all_prints_every_shipped_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["cost", "--all", "--project", str(ROOT)], monkeypatch, capsys)
    assert code == 0
    for stack in ("dev", "prod-eu-central-1", "prod-us-east-1"):
        assert f"{stack}: $" in out
