"""Model weights as bundle content: ``inferplane edge pack-model`` (and ``edge build
--weights``) copies a local GGUF file or safetensors directory into ``models/<target>/``,
lists every file with its size and sha256 in ``manifest.json`` ``files`` and the target's
total in ``install.weights``, after checking the format, the file names the target's
server opens and that the weights fit the profile's disk and memory. The installers
verify the sha256 with every other file and the site's free disk before activation.

Packing rewrites the manifest (same weights, same bytes: the bundle stays reproducible).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
from pathlib import Path
from typing import Any

from inferplane.components.edge.layout import (
    MODELS_DIR,
    SIGNATURE,
    ModelWeights,
    plan_from_manifest,
)
from inferplane.edge_images.profiles import load_profile
from inferplane.edge_images.scripts import install_sh
from inferplane.errors import BuildError
from inferplane.packaging.oci import canonical_json

__all__ = ["GIB", "pack_model", "weight_format"]

GIB = 1 << 30
_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")
_SAFETENSORS_HEADER_MAX = 100 << 20
"""safetensors caps its JSON header at 100 MB; a bigger length is not a safetensors file."""


def weight_format(path: Path) -> str | None:
    """``gguf`` or ``safetensors`` when ``path`` is one (by content, not only by name);
    None for a side file (config.json, tokenizer); BuildError for a weight file whose
    bytes are not its format."""
    if path.suffix not in (".gguf", ".safetensors"):
        return None
    with path.open("rb") as handle:
        head = handle.read(8)
        if path.suffix == ".gguf":
            if head[:4] != b"GGUF":
                raise BuildError(f"{path}: not a GGUF file (no GGUF magic at byte 0)")
            return "gguf"
        if len(head) < 8:
            raise BuildError(f"{path}: not a safetensors file (shorter than its header length)")
        (length,) = struct.unpack("<Q", head)
        if not 2 <= length <= _SAFETENSORS_HEADER_MAX:
            raise BuildError(f"{path}: not a safetensors file (header length {length})")
        try:
            header = json.loads(handle.read(length))
        except ValueError as exc:
            raise BuildError(f"{path}: not a safetensors file (header is not JSON)") from exc
        if not isinstance(header, dict):
            raise BuildError(f"{path}: not a safetensors file (header is not a JSON object)")
        return "safetensors"


def _sources(source: Path) -> list[tuple[str, Path]]:
    """(installed name, file) for a weight file or a model directory, sorted."""
    if source.is_symlink() or not source.exists():
        raise BuildError(f"weights {source}: not a file or directory (symlinks are refused)")
    if source.is_file():
        found = [(source.name, source)]
    else:
        found = []
        for path in sorted(source.rglob("*")):
            if path.is_symlink():
                raise BuildError(f"weights {path}: symlinks are refused (copy the file)")
            if path.is_file():
                found.append((f"{source.name}/{path.relative_to(source).as_posix()}", path))
    for name, _path in found:
        if not all(_NAME.match(part) for part in name.split("/")):
            raise BuildError(
                f"weights file name {name!r}: allowed characters A-Z a-z 0-9 . _ + - "
                "(names reach the installer's shell)"
            )
    if not any(weight_format(path) for _name, path in found):
        raise BuildError(f"weights {source}: no .gguf or .safetensors file in it")
    return found


def pack_model(bundle: Path, target: str, source: Path) -> str:
    """Put ``source`` into ``bundle`` as ``target``'s weights (replacing earlier ones);
    returns the new manifest.json sha256. BuildError names what does not fit."""
    manifest_path = bundle / "manifest.json"
    try:
        doc: dict[str, Any] = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise BuildError(f"no edge bundle at {bundle} ({exc}); build one first") from exc
    targets = doc.get("targets", {})
    if target not in targets:
        raise BuildError(
            f"target {target!r} is not in the bundle; its targets: {', '.join(sorted(targets))}"
        )
    sources = _sources(source)
    names = {name for name, _path in sources}
    opened = targets[target].get("model_files", [])
    missing = [name for name in opened if name not in names]
    if missing:
        raise BuildError(
            f"target {target!r}'s server opens {missing} below the models directory; the "
            f"weights hold {sorted(names)}: rename the file (or pass its directory)"
        )
    prefix = f"{MODELS_DIR}/{target}/"
    destination = bundle / MODELS_DIR / target
    if destination.exists():
        shutil.rmtree(destination)
    files: dict[str, Any] = {k: v for k, v in doc["files"].items() if not k.startswith(prefix)}
    for name, path in sources:
        copy = destination / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        with copy.open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        files[prefix + name] = {"size": copy.stat().st_size, "sha256": sha}
    weights = ModelWeights(
        target,
        tuple(prefix + name for name, _path in sources),
        sum(files[prefix + name]["size"] for name, _path in sources),
    )
    install = doc.setdefault("install", {})
    packed = {**install.get("weights", {}), target: weights.to_dict()}
    _fits(doc.get("profile", ""), packed)
    install["weights"] = dict(sorted(packed.items()))
    if (bundle / "install.sh").is_file():
        # install.sh carries the plan as explicit lists: render it again with the weights.
        script = install_sh(plan_from_manifest(doc, str(manifest_path)))
        (bundle / "install.sh").write_text(script)
        data = script.encode()
        files["install.sh"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    doc["files"] = dict(sorted(files.items()))
    raw = canonical_json(doc) + b"\n"
    manifest_path.write_bytes(raw)
    # The old signature signed the old manifest: gone, so the bundle reads as unsigned
    # (never as mis-signed) until it is signed again (`edge pack-model --signing-key`).
    (bundle / SIGNATURE).unlink(missing_ok=True)
    return hashlib.sha256(raw).hexdigest()


def _fits(profile_name: str, packed: dict[str, Any]) -> None:
    profile = load_profile(profile_name)
    total = sum(entry["bytes"] for entry in packed.values())
    for what, limit in (("disk", profile.disk_gib), ("memory", profile.memory_gib)):
        if limit is not None and total > limit * GIB:
            raise BuildError(
                f"the bundle's weights ({total / GIB:.1f} GiB, {', '.join(sorted(packed))}) "
                f"do not fit profile {profile.name!r}'s {what} ({limit} GiB); allowed: "
                f"<= {limit} GiB (a smaller quantization, or fewer targets per site)"
            )
