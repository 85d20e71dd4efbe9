"""A bundle's ``manifest.json``: every other file with its size and sha256, the site's
targets, the install plan and the router image's digests (canonical JSON: same inputs,
same bytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from inferplane.components.edge.layout import InstallPlan
from inferplane.edge_images.profiles import Profile
from inferplane.edge_images.servers import SiteServer, model_files
from inferplane.edge_images.site import Site
from inferplane.packaging.oci import canonical_json
from inferplane.packaging.router_image import CONTAINERD_NAME, IMAGE_NAME, RouterImage

__all__ = ["write_manifest"]


def _files(out: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        with path.open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        files[relative] = {"size": path.stat().st_size, "sha256": sha}
    return files


def _targets(site: Site, servers: list[SiteServer]) -> dict[str, Any]:
    return {
        s.name: {
            "engine": s.engine,
            "image": s.image,
            "model": site.targets[s.name].model,
            # The weight files the server opens (below the models directory): what
            # `inferplane edge pack-model` must provide for this target.
            "model_files": model_files(s.command),
        }
        for s in servers
    }


def _router_image(image: RouterImage) -> dict[str, Any]:
    return {
        "reference": image.reference(),
        "tag": image.tag,
        "index": image.index.digest,
        "manifests": {arch: m.digest for arch, m in image.manifests.items()},
        CONTAINERD_NAME: f"{IMAGE_NAME}:{image.tag}",
    }


def write_manifest(
    out: Path,
    stack: str,
    site: Site,
    profile: Profile,
    servers: list[SiteServer],
    *,
    image: RouterImage | None,
    plan: InstallPlan,
) -> dict[str, dict[str, Any]]:
    """Write ``out/manifest.json``; the files it lists."""
    files = _files(out)
    doc: dict[str, Any] = {
        "format": "inferplane-edge-bundle/1",
        "stack": stack,
        "site": site.name,
        "profile": profile.name,
        "arches": list(profile.arches),
        "host": profile.host,
        "targets": _targets(site, servers),
        "files": files,
        "install": plan.to_dict(),
    }
    if image is not None:
        doc["router_image"] = _router_image(image)
    if profile.l4t_base:
        doc["l4t_base"] = profile.l4t_base
    (out / "manifest.json").write_bytes(canonical_json(doc) + b"\n")
    return files
