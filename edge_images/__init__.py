"""Edge images: device profiles (``profiles/*.yaml``) and the deterministic builder that
turns one profile plus a stack's edge target into a bundle a site installs offline.

    build_bundle(BundleInputs(...), out_dir) -> Bundle

See docs/edge-images.md for what a site operator does with a bundle.
"""

from __future__ import annotations

__all__: list[str] = []
