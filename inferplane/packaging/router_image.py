"""The router's OCI image, multi-arch (amd64, arm64), from the same source tree as the
Lambda zip.

Three layers per architecture, each deterministic:
1. base: Debian minbase + python3 + ca-certificates (``rootfs``), cached per arch;
2. dependencies: the lock's manylinux wheels unpacked into ``/opt/inferplane/site-packages``;
3. app: the ``router`` package in ``/opt/inferplane/app``.

The layout holds a multi-arch index (ref ``<tag>``) and each platform's manifest
(ref ``<tag>-<arch>``, which is what ``umoci unpack --image DIR:<tag>-<arch>`` takes).
The tag defaults to the first 12 hex digits of the index digest, so it names the content.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inferplane.errors import BuildError
from inferplane.packaging.oci import (
    LAYER,
    Descriptor,
    ImageConfig,
    Layer,
    Layout,
    platform,
    write_archive,
)
from inferplane.packaging.rootfs import BaseSystem, build_rootfs, layer_exclude, rootfs_cached
from inferplane.packaging.source import router_files
from inferplane.packaging.tarball import Entry, tree_entries
from inferplane.packaging.wheels import Target, download_wheels, install_wheels
from inferplane.router.contract import CONFIG_PATH, ROUTER_PORT

__all__ = [
    "APP_DIR",
    "ARCHES",
    "CONFIG_PATH",
    "CONTAINERD_NAME",
    "IMAGE_NAME",
    "ROUTER_PORT",
    "SITE_DIR",
    "RouterImage",
    "build_router_image",
    "builds_base_rootfs",
    "image_config",
    "write_named_archive",
]

ARCHES = ("amd64", "arm64")
APP_DIR = "/opt/inferplane/app"
SITE_DIR = "/opt/inferplane/site-packages"
ROUTER_USER = "65532:65532"
IMAGE_NAME = "registry.inferplane.local/inferplane/router"
"""The name the image is imported under on a site (no registry serves it: it arrives in
the bundle); manifests pin it by digest."""
CONTAINERD_NAME = "io.containerd.image.name"


@dataclass(frozen=True)
class RouterImage:
    """A written router image: where it is and the digests that name it."""

    layout: Path
    archive: Path
    tag: str
    index: Descriptor
    manifests: dict[str, Descriptor] = field(default_factory=dict)
    """Per architecture."""

    def reference(self, arch: str | None = None) -> str:
        """``name:tag@digest`` of one architecture's manifest, or of the index."""
        digest = self.index.digest if arch is None else self.manifests[arch].digest
        return f"{IMAGE_NAME}:{self.tag}@{digest}"


def image_config(python: str) -> ImageConfig:
    return ImageConfig(
        entrypoint=(python, "-m", "router"),
        cmd=("--config", CONFIG_PATH, "--host", "0.0.0.0", "--port", str(ROUTER_PORT)),
        env=(
            "PATH=/usr/local/bin:/usr/bin:/bin",
            f"PYTHONPATH={APP_DIR}:{SITE_DIR}",
            "PYTHONDONTWRITEBYTECODE=1",
            "PYTHONUNBUFFERED=1",
            "HOME=/tmp",
        ),
        user=ROUTER_USER,
        exposed_ports=(ROUTER_PORT,),
        labels={
            "org.opencontainers.image.title": "inferplane-router",
            "org.opencontainers.image.description": "inferplane routing service",
        },
    )


def build_router_image(
    source_root: Path,
    out_dir: Path,
    cache: Path,
    *,
    arches: Sequence[str] = ARCHES,
    base: BaseSystem | None = None,
    tag: str | None = None,
    progress: object = None,
) -> RouterImage:
    """Write ``out_dir/router-oci/`` (layout) and ``out_dir/router-oci.tar`` (archive)."""
    base = base or BaseSystem()
    unknown = [a for a in arches if a not in ARCHES]
    if not arches or unknown:
        raise BuildError(f"architectures {list(arches)!r}: allowed are {', '.join(ARCHES)}")
    app_entries = [
        Entry(f"{APP_DIR.strip('/')}/{name}", "file", 0o644, source=path)
        for name, path in router_files(source_root, require="__main__.py")
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = Layout.create(out_dir / "router-oci")
    manifests: dict[str, Descriptor] = {}
    for arch in sorted(set(arches), key=ARCHES.index):
        _say(progress, f"router image {arch}: base rootfs ({base.label})")
        base_layer = _base_layer(layout, base, arch, cache)
        _say(
            progress,
            f"router image {arch}: dependencies (cp{base.python_version.replace('.', '')} wheels)",
        )
        deps = _dependency_layer(layout, base, arch, cache)
        app = layout.add_layer(app_entries, comment="inferplane: router package")
        manifests[arch] = layout.add_image(
            platform(arch), [base_layer, deps, app], image_config(base.python)
        )
    index = layout.add_index(list(manifests.values()))
    tag = tag or index.digest.removeprefix("sha256:")[:12]
    layout.write_index({tag: index, **{f"{tag}-{a}": m for a, m in manifests.items()}})
    archive = out_dir / "router-oci.tar"
    write_archive(layout.path, archive)
    return RouterImage(layout.path, archive, tag, index, manifests)


def _say(progress: object, message: str) -> None:
    if callable(progress):
        progress(message)


def builds_base_rootfs(base: BaseSystem, arch: str, cache: Path) -> bool:
    """Whether building the image for ``arch`` runs debootstrap (neither its base layer
    nor its rootfs is in ``cache``)."""
    layer_cached = (cache / "layers" / base.key(arch) / "layer.json").is_file()
    return not layer_cached and not rootfs_cached(base, arch, cache)


def _base_layer(layout: Layout, base: BaseSystem, arch: str, cache: Path) -> Layer:
    """The base layer, compressed once per rootfs and then reused from the cache."""
    entry = cache / "layers" / base.key(arch)
    record = entry / "layer.json"
    if not record.is_file():
        rootfs = build_rootfs(base, arch, cache)
        cached = Layout.create(entry)
        layer = cached.add_layer(
            tree_entries(rootfs, exclude=layer_exclude, keep_owner=True),
            comment=f"inferplane: base rootfs, {base.label}",
        )
        record.write_text(
            json.dumps(
                {
                    "digest": layer.descriptor.digest,
                    "size": layer.descriptor.size,
                    "diff_id": layer.diff_id,
                    "comment": layer.comment,
                },
                sort_keys=True,
            )
        )
    data = json.loads(record.read_text())
    layer = Layer(Descriptor(LAYER, data["digest"], data["size"]), data["diff_id"], data["comment"])
    return layout.copy_layer(entry, layer)


def _dependency_layer(layout: Layout, base: BaseSystem, arch: str, cache: Path) -> Layer:
    wheels = download_wheels(Target(arch, base.python_version), cache)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        install_wheels(wheels, site)
        return layout.add_layer(
            tree_entries(site, SITE_DIR.strip("/")),
            comment=f"inferplane: router dependencies ({len(wheels)} wheels)",
        )


def write_named_archive(image: RouterImage, out: Path) -> None:
    """An OCI archive of the whole image whose one index entry carries a containerd name:
    k3s imports ``agent/images/*.tar`` at start and names images by
    ``io.containerd.image.name``, so the manifests can pin ``reference()``."""
    with tempfile.TemporaryDirectory() as tmp:
        named = Layout.create(Path(tmp) / "layout")
        for blob in sorted((image.layout / "blobs" / "sha256").iterdir()):
            shutil.copyfile(blob, named.blobs / blob.name)
        annotated = image.index.annotated({CONTAINERD_NAME: f"{IMAGE_NAME}:{image.tag}"})
        named.write_index({image.tag: annotated})
        out.parent.mkdir(parents=True, exist_ok=True)
        write_archive(named.path, out)
