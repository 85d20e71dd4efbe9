"""Run the ``inferplane`` CLI in-process through its real entry point (``main``), so exit
codes and error printing are what a user sees: ``code, out, err = run_cli([...], ...)``."""

from __future__ import annotations

import sys

import pytest

from inferplane.cli import main

__all__ = ["run_cli"]


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["inferplane", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err
