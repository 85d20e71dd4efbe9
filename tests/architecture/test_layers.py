"""The layers in docs/architecture.md hold (``lint-imports``, as ``make lint`` runs it), and
the check is live: a forbidden import added to a copy of the tree breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("inferplane", "components", "router", "policies", "edge_images")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # Run from ``tree`` with it first on the path, so the graph is built from its files.
    script = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", script, "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tree


def test_the_layers_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("router/decide.py", "import pulumi"),
        ("router/core.py", "from inferplane.spec import StackSpec"),
        ("components/base.py", "from inferplane.spec import StackSpec"),
        ("components/router.py", "from router.core import Gateway"),
        ("inferplane/spec/stack.py", "from components.base import Labels"),
        ("policies/engine.py", "from inferplane.deployment import context"),
        ("inferplane/catalog/gcp.py", "from inferplane.spec import StackSpec"),
    ],
)
def test_a_forbidden_import_breaks_the_build(tmp_path: Path, module: str, forbidden: str) -> None:
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{forbidden}  # noqa\n")
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
