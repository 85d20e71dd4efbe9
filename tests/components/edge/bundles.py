"""A small edge bundle on disk, shaped like ``inferplane edge build`` output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FILES = {
    "agent/images/router.tar": b"router image layers",
    "agent/images/llamacpp.tar": b"llama.cpp image layers",
    "server/manifests/inferplane.yaml": b"apiVersion: v1\nkind: Namespace\n",
    "registries.yaml": b"mirrors: {}\n",
    "systemd/inferplane-router.service": b"[Service]\nExecStart=/bin/true\n",
    "launchd/dev.inferplane.router.plist": b"<plist/>\n",
}


def write_bundle(directory: Path, files: dict[str, bytes] | None = None) -> Path:
    files = FILES if files is None else files
    for path, data in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    listed = [
        {"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for p, d in sorted(files.items())
    ]
    (directory / "manifest.json").write_text(json.dumps({"files": listed}, indent=1) + "\n")
    return directory
