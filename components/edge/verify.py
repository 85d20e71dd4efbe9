"""Checking a bundle directory against its manifest.json: every built file's sha256, and
every model-server image archive (written later by fetch-images.sh) holding exactly the
pinned digest.

This module is self-contained (stdlib only, no package imports) because its source is
also embedded in the bundle's ``install.sh verify`` (``program()``): the operator's
machine and the site run the same check.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

__all__ = ["bundle_problems", "image_problems", "program", "weight_problems"]


def _sha256(stream: Any) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def image_problems(archive: Path, digest: str) -> list[str]:
    """Why the OCI archive at ``archive`` is not the image pinned at ``digest``: its
    index.json must name ``digest`` and every blob must hash to its name (content
    addressing, so the whole image is the pinned one)."""
    if not archive.is_file():
        return [f"{archive.name}: missing (run ./fetch-images.sh where registries are reachable)"]
    problems: list[str] = []
    try:
        with tarfile.open(archive) as tar:
            names: set[str] = set()
            index: Any = None
            for member in tar:
                if not member.isfile():
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                name = member.name.removeprefix("./")
                if name == "index.json":
                    index = json.loads(handle.read())
                elif name.startswith("blobs/sha256/"):
                    hexdigest = name.removeprefix("blobs/sha256/")
                    if _sha256(handle) != hexdigest:
                        problems.append(f"{archive.name}: blob {hexdigest[:12]} is corrupt")
                    names.add("sha256:" + hexdigest)
    except (OSError, tarfile.TarError, ValueError) as exc:
        return [f"{archive.name}: not an OCI archive ({exc})"]
    listed = [m.get("digest") for m in (index or {}).get("manifests", []) if isinstance(m, dict)]
    if digest not in listed:
        problems.append(f"{archive.name}: holds {listed or 'no image'}, not the pinned {digest}")
    elif digest not in names:
        problems.append(f"{archive.name}: the pinned {digest} has no blob")
    return problems


def bundle_problems(root: Path) -> tuple[int, list[str]]:
    """(files checked, problems) for the bundle in ``root``."""
    manifest = json.loads((root / "manifest.json").read_text())
    files = manifest["files"]
    problems = []
    for path, entry in sorted(files.items()):
        try:
            with (root / path).open("rb") as handle:
                if _sha256(handle) != entry["sha256"]:
                    problems.append(f"{path}: sha256 mismatch")
        except OSError:
            problems.append(f"{path}: missing")
    images = manifest.get("install", {}).get("images", {})
    for _name, image in sorted(images.items()):
        problems += image_problems(root / image["archive"], image["digest"])
    problems += weight_problems(manifest)
    return len(files) + len(images), problems


def weight_problems(manifest: Any) -> list[str]:
    """Model weights must be listed files (so their sha256 was checked above) whose sizes
    add up to the total the installer checks free disk against."""
    files = manifest["files"]
    problems = []
    weights = manifest.get("install", {}).get("weights", {})
    for target, entry in sorted(weights.items()):
        unlisted = [path for path in entry["files"] if path not in files]
        if unlisted:
            problems.append(f"weights of {target}: {unlisted} not listed with a sha256")
            continue
        total = sum(files[path]["size"] for path in entry["files"])
        if total != entry["bytes"]:
            problems.append(f"weights of {target}: files hold {total} bytes, not {entry['bytes']}")
    return problems


def _main(argv: list[str]) -> int:
    checked, problems = bundle_problems(Path(argv[1]))
    for problem in problems:
        print("MISMATCH: " + problem, file=sys.stderr)
    if not problems:
        print(f"bundle verified: {checked} files and images")
    return 1 if problems else 0


def program() -> str:
    """This module's source plus the call, for ``python3 - BUNDLE_DIR``."""
    return (
        Path(__file__).read_text() + '\nif __name__ == "__main__":\n    sys.exit(_main(sys.argv))\n'
    )
