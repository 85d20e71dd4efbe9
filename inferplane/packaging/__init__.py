"""Packaging the router from one source tree: a Lambda deployment zip and a multi-arch
OCI image, both deterministic (same inputs, same bytes).

    build_lambda_zip(source_root, out, cache, arch="arm64")   -> LambdaPackage
    build_router_image(source_root, out_dir, cache)            -> RouterImage

Downloads (wheels) and the Debian base rootfs are cached under ``default_cache(project)``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache"]

CACHE_ENV = "INFERPLANE_BUILD_CACHE"


def default_cache(project: Path | None = None) -> Path:
    """Where builds keep downloads and base systems: ``$INFERPLANE_BUILD_CACHE``; else
    ``build/cache`` beside the project's Pulumi.yaml (``build/`` is the project's ignored
    build output); else, outside a project, the user's cache directory
    (``$XDG_CACHE_HOME/inferplane``, default ``~/.cache/inferplane``). Never a path
    relative to this package: installed, that is site-packages."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    if project is not None:
        return project / "build" / "cache"
    user_cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(user_cache) / "inferplane"
