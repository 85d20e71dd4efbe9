"""The layers in docs/architecture.md hold (``lint-imports``, as ``make lint`` runs it), and
the check is live: a forbidden import added to a copy of the tree breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The folders installed under the inferplane namespace (inferplane/<name> -> ../<name>).
MAPPED = ("components", "router", "policies", "edge_images")


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
    ignore = shutil.ignore_patterns("__pycache__")
    # inferplane/<name> stay symlinks to the copied folders, as in the checkout.
    shutil.copytree(ROOT / "inferplane", tree / "inferplane", symlinks=True, ignore=ignore)
    for package in MAPPED:
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
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
        ("router/decide.py", "from inferplane.spec import StackSpec"),
        ("router/core.py", "from inferplane import routerconfig"),
        ("components/router/service.py", "from inferplane.router.core import Gateway"),
        ("inferplane/spec/stack.py", "from inferplane.components.base import Labels"),
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


def test_the_router_contract_names_every_sibling() -> None:
    """``inferplane`` itself cannot be forbidden (it is the router's parent package), so the
    router contract lists each of its siblings: a new one must be added there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["source_modules"] == ["inferplane.router"]]
    siblings = {
        f"inferplane.{p.stem}"
        for p in (ROOT / "inferplane").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert siblings - {"inferplane.router"} <= set(contract["forbidden_modules"])


def test_the_mapped_folders_are_the_namespace_packages() -> None:
    for name in MAPPED:
        link = ROOT / "inferplane" / name
        assert link.is_symlink(), link
        assert link.resolve() == (ROOT / name).resolve()
