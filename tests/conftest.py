"""Shared fixtures: the project root and the shipped stacks' specs as plain data."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project_root() -> Path:
    return ROOT


def stack_spec_data(stack: str) -> dict[str, Any]:
    """A fresh, mutable copy of ``stacks/Pulumi.<stack>.yaml``'s inferplane:spec block."""
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(data["config"]["inferplane:spec"])
