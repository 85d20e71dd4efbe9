"""Where the tests find the router to package: this checkout's ``router/`` once it holds
the service (``__main__.py`` and ``core.py``), else ``$INFERPLANE_ROUTER_SOURCE`` (a
checkout that has them). Packaging tests are skipped when neither has the service."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["ROUTER_SOURCE_ENV", "router_source", "site_config_json"]

ROUTER_SOURCE_ENV = "INFERPLANE_ROUTER_SOURCE"
ROOT = Path(__file__).resolve().parents[2]


def _complete(root: Path) -> bool:
    return all((root / "router" / name).is_file() for name in ("__main__.py", "core.py"))


def router_source() -> Path:
    for candidate in (ROOT, Path(os.environ.get(ROUTER_SOURCE_ENV, ""))):
        if str(candidate) and _complete(candidate):
            return candidate
    message = (
        f"the router service is not in {ROOT}/router yet; set {ROUTER_SOURCE_ENV} to a "
        "checkout that has router/__main__.py and router/core.py"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def site_config_json(upstream_url: str) -> str:
    """A minimal RouterConfig sending every request to one OpenAI-compatible target."""
    from inferplane.router.config import RouterConfig

    config = RouterConfig.model_validate(
        {
            "stack": "test",
            "environment": "dev",
            "default_data_class": "internal",
            "data_classes": {"internal": {"placement": "edge", "rank": 1}},
            "targets": {
                "local": {
                    "backend": "openai",
                    "model": "fake-model",
                    "url": upstream_url,
                    "location": "edge:test-site",
                    "allowed_data_classes": ["internal"],
                }
            },
            "routes": [{"name": "default", "targets": ["local"]}],
            "auth_required": False,
        }
    )
    return config.to_json()
