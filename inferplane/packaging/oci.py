"""A deterministic OCI image-layout writer (image-spec 1.1), in pure Python.

    layout = Layout.create(Path("out/router"))
    base = layout.add_layer(tree_entries(rootfs, keep_owner=True))
    app = layout.add_layer([Entry.file("opt/app/x.py", b"...")])
    manifest = layout.add_image(AMD64, [base, app], ImageConfig(entrypoint=(...)))
    layout.write_index({"1.0": layout.add_index([manifest])})
    write_archive(layout.path, Path("out/router.tar"))

Layers are tar (see ``tarball``) compressed with gzip (mtime 0, no file name, level 6);
JSON documents are serialised with sorted keys and no whitespace. The same inputs give
the same blobs, digests and archive bytes. gzip output depends on the zlib build, so a
different zlib may give different (still valid) compressed layers; diff_ids do not change.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from inferplane.packaging.tarball import Entry, tree_entries, write_tar

__all__ = [
    "AMD64",
    "ARM64",
    "CREATED",
    "INDEX",
    "LAYER",
    "MANIFEST",
    "REF_NAME",
    "Descriptor",
    "ImageConfig",
    "Layer",
    "Layout",
    "Platform",
    "canonical_json",
    "platform",
    "write_archive",
]

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "1970-01-01T00:00:00Z"
"""The creation time written into configs: fixed, so it does not change the digest."""


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out


AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64", "v8")
_PLATFORMS = {"amd64": AMD64, "arm64": ARM64}


def platform(arch: str) -> Platform:
    """The linux platform of ``arch`` (amd64 or arm64)."""
    if arch not in _PLATFORMS:
        raise ValueError(f"unknown architecture {arch!r}; allowed: {', '.join(_PLATFORMS)}")
    return _PLATFORMS[arch]


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def annotated(self, annotations: Mapping[str, str]) -> Descriptor:
        return Descriptor(
            self.media_type,
            self.digest,
            self.size,
            self.platform,
            {**self.annotations, **annotations},
        )


@dataclass(frozen=True)
class Layer:
    """A compressed layer blob and the digest of its uncompressed tar (the diff_id)."""

    descriptor: Descriptor
    diff_id: str
    comment: str = ""
    """Written to the config's history (``created_by``)."""


@dataclass(frozen=True)
class ImageConfig:
    """The runtime part of an image config."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    working_dir: str = "/"
    user: str = ""
    exposed_ports: tuple[int, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"WorkingDir": self.working_dir}
        if self.entrypoint:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd:
            out["Cmd"] = list(self.cmd)
        if self.env:
            out["Env"] = list(self.env)
        if self.user:
            out["User"] = self.user
        if self.exposed_ports:
            out["ExposedPorts"] = {f"{port}/tcp": {} for port in sorted(self.exposed_ports)}
        if self.labels:
            out["Labels"] = dict(self.labels)
        return out


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _Hashing:
    """A write-only file object that hashes and counts what passes through it."""

    def __init__(self, sink: BinaryIO | gzip.GzipFile) -> None:
        self.sink = sink
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        self.sink.flush()


class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blobs = path / "blobs" / "sha256"

    @classmethod
    def create(cls, path: Path) -> Layout:
        """A fresh, empty layout at ``path`` (an existing one is replaced)."""
        if path.exists():
            shutil.rmtree(path)
        layout = cls(path)
        layout.blobs.mkdir(parents=True)
        (path / "oci-layout").write_bytes(canonical_json({"imageLayoutVersion": "1.0.0"}))
        return layout

    def add_blob(self, data: bytes, media_type: str) -> Descriptor:
        digest = hashlib.sha256(data).hexdigest()
        target = self.blobs / digest
        if not target.exists():
            target.write_bytes(data)
        return Descriptor(media_type, f"sha256:{digest}", len(data))

    def add_layer(self, entries: Iterable[Entry], comment: str = "") -> Layer:
        """Write ``entries`` as one gzip-compressed layer."""
        with tempfile.NamedTemporaryFile(dir=self.blobs, delete=False) as tmp:
            compressed = _Hashing(tmp)  # type: ignore[arg-type]
            # mtime=0 and an empty file name keep the gzip header free of build details.
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=compressed, compresslevel=6, mtime=0
            ) as gz:
                uncompressed = _Hashing(gz)
                write_tar(entries, uncompressed)  # type: ignore[arg-type]
        digest = compressed.sha.hexdigest()
        os.replace(tmp.name, self.blobs / digest)
        os.chmod(self.blobs / digest, 0o644)
        descriptor = Descriptor(LAYER, f"sha256:{digest}", compressed.size)
        return Layer(descriptor, f"sha256:{uncompressed.sha.hexdigest()}", comment)

    def add_tree_layer(
        self, root: Path, prefix: str = "", *, keep_owner: bool = False, comment: str = ""
    ) -> Layer:
        return self.add_layer(tree_entries(root, prefix, keep_owner=keep_owner), comment)

    def copy_layer(self, source: Path, layer: Layer) -> Layer:
        """Reuse a layer blob already written in another layout (``source``)."""
        hexdigest = layer.descriptor.digest.removeprefix("sha256:")
        target = self.blobs / hexdigest
        if not target.exists():
            shutil.copyfile(Layout(source).blobs / hexdigest, target)
        return layer

    def add_image(self, plat: Platform, layers: Sequence[Layer], config: ImageConfig) -> Descriptor:
        """Write the config and manifest of one single-platform image."""
        config_doc = {
            "architecture": plat.architecture,
            "os": plat.os,
            **({"variant": plat.variant} if plat.variant else {}),
            "created": CREATED,
            "config": config.to_json(),
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
            "history": [
                {"created": CREATED, "created_by": layer.comment or "inferplane layer"}
                for layer in layers
            ],
        }
        config_desc = self.add_blob(canonical_json(config_doc), CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": config_desc.to_json(),
            "layers": [layer.descriptor.to_json() for layer in layers],
        }
        desc = self.add_blob(canonical_json(manifest), MANIFEST)
        return Descriptor(desc.media_type, desc.digest, desc.size, plat)

    def add_index(self, manifests: Sequence[Descriptor]) -> Descriptor:
        """Write a (multi-platform) image index blob over ``manifests``."""
        index = {
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [m.to_json() for m in manifests],
        }
        return self.add_blob(canonical_json(index), INDEX)

    def write_index(self, refs: Mapping[str, Descriptor]) -> None:
        """Write ``index.json`` naming each descriptor by its ref (``oci:DIR:REF``)."""
        manifests = [desc.annotated({REF_NAME: ref}).to_json() for ref, desc in refs.items()]
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}
        (self.path / "index.json").write_bytes(canonical_json(index))


def write_archive(layout_dir: Path, out: Path) -> None:
    """An OCI archive (``oci-archive:FILE``): the layout directory as a deterministic tar."""
    with tempfile.NamedTemporaryFile(dir=out.parent, delete=False) as tmp:
        write_tar(tree_entries(layout_dir), tmp)  # type: ignore[arg-type]
    os.replace(tmp.name, out)
    os.chmod(out, 0o644)
