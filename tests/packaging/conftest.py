from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from inferplane.packaging import default_cache
from tests.conftest import ROOT
from tests.support.routersource import router_source


@pytest.fixture(scope="session")
def cache() -> Path:
    return default_cache(ROOT)


@pytest.fixture(scope="session")
def router_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A frozen copy of the router source, so two builds in one run see the same files
    even while the router is being edited."""
    source = router_source()
    root = tmp_path_factory.mktemp("router-src")
    shutil.copytree(
        source / "router", root / "router", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root
