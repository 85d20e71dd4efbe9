"""Running the router: ``run(config, host, port)`` blocks until interrupted."""

from __future__ import annotations

import os
from pathlib import Path

from aiohttp import web

from router.app import create_app
from router.config import RouterConfig
from router.contract import CONFIG_ENV
from router.errors import ConfigError

__all__ = ["CONFIG_ENV", "load_config", "run"]


def load_config(path: str | None = None) -> RouterConfig:
    """From ``path``, else from ``INFERPLANE_ROUTER_CONFIG`` (the JSON itself, or a path)."""
    text: str | None
    if path is not None:
        text = _read(path)
    else:
        text = os.environ.get(CONFIG_ENV)
        if text is None:
            raise ConfigError(f"no config: pass --config FILE or set {CONFIG_ENV}")
        if not text.lstrip().startswith("{"):
            text = _read(text)
    try:
        return RouterConfig.from_json(text)
    except ValueError as exc:
        raise ConfigError(f"invalid router config: {exc}") from exc


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read router config {path}: {exc}") from exc


def run(config: RouterConfig, host: str = "127.0.0.1", port: int = 8080) -> None:
    web.run_app(create_app(config), host=host, port=port, access_log=None, print=None)
