"""The router's dependency list is derived from the ``router`` extra, and covers every
third-party module the router imports (the semantic cache's numpy was missing)."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from inferplane.packaging.requirements import derive, render
from inferplane.packaging.wheels import LOCK_FILE

ROOT = Path(__file__).resolve().parents[2]


def _pinned_names() -> set[str]:
    return {canonicalize_name(pin.split("==")[0]) for pin in derive().pins}


def test_router_requirements_file_is_the_derivation() -> None:
    assert LOCK_FILE.read_text(encoding="utf-8") == render(derive()), (
        "inferplane/packaging/router-requirements.txt is stale: run `make router-requirements`"
    )


def _guarded(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``try: ... except ImportError``: optional on purpose
    (a packaged router without PyYAML reads JSON only)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            for h in node.handlers
        ):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return guarded


def test_every_third_party_module_the_router_imports_is_shipped() -> None:
    imported: set[str] = set()
    for path in sorted((ROOT / "router").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        optional = _guarded(tree)
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"router", "__future__"}
    providers = importlib.metadata.packages_distributions()
    shipped = _pinned_names()
    missing = {
        module
        for module in third_party
        if not {canonicalize_name(d) for d in providers.get(module, [])} & shipped
    }
    assert third_party >= {"aiohttp", "numpy", "redis", "boto3", "botocore", "pydantic"}
    assert missing == set()


def test_numpy_ships_for_the_semantic_cache() -> None:
    assert "numpy" in _pinned_names()


def test_the_closure_follows_installed_metadata() -> None:
    names = _pinned_names()
    # aiohttp -> yarl -> idna/propcache; boto3 -> botocore -> urllib3; pydantic -> core
    assert {"yarl", "idna", "propcache", "urllib3", "pydantic-core", "s3transfer"} <= names
    # Test-only and deployment-only packages stay out.
    assert not {"pulumi", "httpx", "pytest", "moto", "typer"} & names


def test_every_dependency_is_pinned() -> None:
    assert derive().unpinned == ()
