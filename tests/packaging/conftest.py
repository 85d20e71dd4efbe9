from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from inferplane.packaging import default_cache
from inferplane.packaging.lambda_zip import LambdaPackage, build_lambda_zip
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


@pytest.fixture(scope="session")
def host_zip(
    router_snapshot: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> LambdaPackage:
    """The router's Lambda zip built for this machine's Python and architecture, so its
    native wheels load here (the tests run it; the default target is checked, not run)."""
    out = tmp_path_factory.mktemp("lambda")
    runtime = f"python3.{sys.version_info.minor}"
    return build_lambda_zip(
        router_snapshot, out / "router.zip", cache, arch="amd64", runtime=runtime
    )
