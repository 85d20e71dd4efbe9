"""Shared fixtures: the project root and the shipped stacks' specs as plain data."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


TEST_API_KEY = "ip-test-key"
ROUTER_KEYS: list[dict[str, Any]] = [
    {
        "id": "test",
        "salt": "0123456789abcdef",
        "sha256": "2aefc8738691425a0b31f0c91a96417aca09f6ae1de530815d29e23c82276bb1",
    }
]
"""A router key entry for specs whose router needs keys; its secret is TEST_API_KEY."""


@pytest.fixture
def project_root() -> Path:
    return ROOT


def stack_spec_data(stack: str) -> dict[str, Any]:
    """A fresh, mutable copy of ``stacks/Pulumi.<stack>.yaml``'s inferplane:spec block."""
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(data["config"]["inferplane:spec"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under CI (``CI=true``) a skipped test is a failure: .ci/run installs every tool the
    tests use, so a skip there means a missing install step, not a missing tool."""
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (no test may skip in CI): {report.longrepr}"
    return report
