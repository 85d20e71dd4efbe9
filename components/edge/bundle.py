"""An edge bundle as ``inferplane edge build`` writes it: a directory whose
``manifest.json`` lists every file with its size and sha256.

The bundle's digest is the sha256 of ``manifest.json`` itself: the manifest names every
file's hash, so any changed byte in the bundle changes the digest (and redeploys it).

``manifest.json`` shape read here::

    {"files": {"k3s/registries.yaml": {"size": 123, "sha256": "<64 hex>"}, ...},
     "install": {...}}

(``files`` may also be a list of ``{"path", "size", "sha256"}``); ``install`` is the
``components.edge.layout.InstallPlan``: what the installer hands to the runtime. Model-server
image archives are fetched into the bundle after the build (``fetch-images.sh``); they are
listed with their pinned digest in ``install.images``, checked here against it, and carried
to the site with their sha256 like every other file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from inferplane.components.edge.layout import TRUST_DIR, InstallPlan, plan_from_manifest
from inferplane.components.edge.verify import image_problems

__all__ = ["MANIFEST", "Bundle", "BundleFile", "read_bundle"]

MANIFEST = "manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class BundleFile:
    path: str
    """Relative POSIX path inside the bundle."""
    size: int
    sha256: str


@dataclass(frozen=True)
class Bundle:
    """A bundle on this machine, checked against its manifest (names and sizes; the
    hashes are checked on the site, after the copy, where a corrupted copy matters)."""

    directory: Path
    digest: str
    """sha256 of ``manifest.json``."""
    files: tuple[BundleFile, ...]
    """Built files and fetched model-server image archives."""
    plan: InstallPlan

    def checksums(self) -> str:
        """``sha256sum --check`` input for every file (and the manifest itself)."""
        lines = [f"{f.sha256}  {f.path}" for f in self.files]
        lines.append(f"{self.digest}  {MANIFEST}")
        return "\n".join(lines) + "\n"

    def trusted_keys(self) -> dict[str, str]:
        """The public keys the release's signer names (``trust/<KEYID>.pub``: file name to
        text), the keys a site trusts once this release is live; empty for an unsigned
        bundle. Read here, on the deploying machine, from the bundle the operator built."""
        return {
            f.path.rsplit("/", 1)[1]: (self.directory / f.path).read_text()
            for f in self.files
            if f.path.startswith(f"{TRUST_DIR}/") and f.path.endswith(".pub")
        }

    def has(self, prefix: str) -> bool:
        """Whether any file lies under ``prefix`` (a directory of the bundle)."""
        return any(f.path.startswith(prefix.rstrip("/") + "/") for f in self.files)


def read_bundle(directory: Path) -> Bundle:
    """The bundle in ``directory``; ValueError naming the problem if it is not one."""
    manifest = directory / MANIFEST
    try:
        raw = manifest.read_bytes()
    except OSError as exc:
        raise ValueError(
            f"no edge bundle at {directory} ({MANIFEST} unreadable: {exc.strerror}); "
            "build one with `inferplane edge build`"
        ) from exc
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest} is not JSON: {exc}") from exc
    files = tuple(_entries(manifest, document))
    for entry in files:
        path = directory / entry.path
        if not path.is_file():
            raise ValueError(f"{manifest} lists {entry.path!r}, which is missing")
        if path.stat().st_size != entry.size:
            raise ValueError(
                f"{entry.path!r} is {path.stat().st_size} bytes; {MANIFEST} says {entry.size}"
            )
    plan = plan_from_manifest(document, str(manifest))
    listed = {f.path for f in files}
    unlisted = sorted(set(plan.paths()) - listed)
    if unlisted:
        raise ValueError(f"{manifest} install names files it does not list: {unlisted}")
    fetched = []
    for image in plan.images:
        problems = image_problems(directory / image.archive, image.digest)
        if problems:
            raise ValueError(f"bundle {directory}: {'; '.join(problems)}")
        with (directory / image.archive).open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        size = (directory / image.archive).stat().st_size
        fetched.append(BundleFile(image.archive, size, sha))
    everything = sorted({f.path: f for f in (*files, *fetched)}.values(), key=lambda f: f.path)
    return Bundle(directory, hashlib.sha256(raw).hexdigest(), tuple(everything), plan)


def _entries(manifest: Path, document: Any) -> list[BundleFile]:
    listed = document.get("files") if isinstance(document, dict) else None
    if isinstance(listed, dict):
        listed = [{"path": path, **meta} for path, meta in listed.items() if isinstance(meta, dict)]
    if not isinstance(listed, list) or not listed:
        raise ValueError(f"{manifest} has no 'files' list")
    entries: list[BundleFile] = []
    for i, item in enumerate(listed):
        path, size, sha = (
            item.get(k) if isinstance(item, dict) else None for k in ("path", "size", "sha256")
        )
        if not isinstance(path, str) or not _safe(path):
            raise ValueError(
                f"{manifest} files[{i}].path {path!r} is not a relative path inside the bundle"
            )
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"{manifest} files[{i}].size {size!r} is not a byte count")
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ValueError(f"{manifest} files[{i}].sha256 {sha!r} is not 64 hex digits")
        entries.append(BundleFile(path, size, sha))
    return sorted(entries, key=lambda e: e.path)


def _safe(path: str) -> bool:
    # The path ends up in a shell here-document and in sha256sum's input: keep it plain.
    pure = PurePosixPath(path)
    return (
        bool(path)
        and not pure.is_absolute()
        and ".." not in pure.parts
        and path != MANIFEST
        and re.fullmatch(r"[A-Za-z0-9._/+-]+", path) is not None
    )
