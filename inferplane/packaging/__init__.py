"""Packaging the router from one source tree: a Lambda deployment zip and a multi-arch
OCI image, both deterministic (same inputs, same bytes).

    build_lambda_zip(source_root, out, cache, arch="arm64")   -> LambdaPackage
    build_router_image(source_root, out_dir, cache)            -> RouterImage

Downloads (wheels) and the Debian base rootfs are cached under ``default_cache()``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache"]

CACHE_ENV = "INFERPLANE_BUILD_CACHE"


def default_cache() -> Path:
    """``$INFERPLANE_BUILD_CACHE``, else ``build/cache`` in the source checkout (gitignored)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "build" / "cache"
