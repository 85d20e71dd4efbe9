"""The shipped stacks' cost table in docs/operations.md says what `inferplane cost --all`
prints: each stack's known monthly total (rounded to dollars) and its count of unknown items."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(?P<stack>[a-z0-9-]+)` \| \$(?P<total>[\d,]+) \| (?P<unknown>\d+) \|", re.M)


def documented() -> dict[str, tuple[int, int]]:
    text = (ROOT / "docs" / "operations.md").read_text()
    table = text[text.index("### Numbers for the shipped stacks") :]
    return {
        m["stack"]: (int(m["total"].replace(",", "")), int(m["unknown"]))
        for m in ROW.finditer(table)
    }


def test_the_docs_table_matches_the_estimate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["cost", "--all", "--format", "json", "--project", str(ROOT)]
    code, out, _ = run_cli(args, monkeypatch, capsys)
    assert code == 0
    estimated = {
        stack["stack"]: (round(stack["monthly_total_known_usd"]), stack["unknown_items"])
        for stack in json.loads(out)["stacks"]
    }
    assert documented() == estimated
