"""`inferplane cost` through the CLI entry point."""

from __future__ import annotations

import json
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


def test_prices_file_overrides_the_shipped_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = tmp_path / "ours.yaml"
    prices.write_text(
        "as_of: '2026-11-30'\ncurrency: USD\n"
        "sources: {edp: {url: 'https://example.com/our-private-pricing'}}\n"
        "prices:\n"
        "  - {service: ec2, sku: g5.2xlarge, region: us-east-1, unit: instance_hour,"
        " usd: 0.5, source: edp}\n"
    )
    args = ["cost", "--stack", "prod-us-east-1", "--format", "json", "--project", str(ROOT)]
    code, out, _ = run_cli([*args, "--prices", str(prices)], monkeypatch, capsys)
    assert code == 0
    payload = json.loads(out)
    (stack,) = payload["stacks"]
    fleet = [i for i in stack["items"] if i["target"] == "llama-fleet"]
    assert any("$0.5/h" in i["basis"] for i in fleet), fleet
    assert payload["prices_as_of"] == "2026-11-30 (override) + 2026-11-26"


def test_a_bad_prices_file_is_a_user_error_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = tmp_path / "ours.yaml"
    prices.write_text(
        "as_of: x\ncurrency: USD\nsources: {s: {url: u}}\nprices:\n"
        "  - {service: ec2, sku: a, region: b, unit: instance_hour, usd: -1, source: s}\n"
    )
    args = ["cost", "--stack", "dev", "--project", str(ROOT), "--prices", str(prices)]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2
    assert "prices.0.usd" in err
    assert "Traceback" not in err


def test_prices_lists_what_the_estimates_need_and_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inferplane.cli.output import console

    monkeypatch.setattr(console, "_width", 200)  # a wide terminal: no cell is shortened
    code, out, _ = run_cli(
        ["prices", "--stack", "prod-westeurope", "--project", str(ROOT)], monkeypatch, capsys
    )
    assert code == 0
    assert "MISSING" in out
    assert "azure-retail-prices" in out
    assert "Standard_NC24ads_A100_v4" in out
    # The VM of mistral-ml and the router's Azure Cache for Redis (router.state) are unpriced.
    assert "standard-c1" in out
    assert "4 prices looked up, 2 missing from the table" in out


def test_prices_fetch_needs_an_output_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["prices", "--all", "--fetch", "--project", str(ROOT)]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2
    assert "--fetch needs --out FILE" in err
