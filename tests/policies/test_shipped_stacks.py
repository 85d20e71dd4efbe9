"""Every stack in stacks/ passes `inferplane check --all`, through the real CLI."""

from __future__ import annotations

import json
import sys

import pytest

from tests.policies.support import ROOT


@pytest.mark.slow
def test_every_shipped_stack_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferplane.cli import main

    monkeypatch.setattr(
        sys, "argv", ["inferplane", "check", "--all", "--project", str(ROOT), "--format", "json"]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    report = json.loads(capsys.readouterr().out)
    violations = [f for s in report["stacks"] for f in s["findings"] if f["status"] == "violation"]
    assert violations == []
    assert exit_info.value.code == 0
