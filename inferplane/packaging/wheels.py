"""The router's run-time dependencies as manylinux wheels for a target platform.

Wheels come from PyPI through ``pip download --only-binary=:all: --platform ...
--python-version ... --implementation cp`` and are cached under
``<cache>/wheels/<key>/`` where the key hashes the lock file and the target, so a build
with the same lock never downloads again and always installs the same files (PyPI files
are immutable). ``wheels.json`` in each cache entry records every wheel's sha256; it is
written last, and a cache entry whose wheels no longer match it is rejected.

Installing is unpacking: a wheel's files go into one directory (``*.data/purelib`` and
``platlib`` merged in, scripts/headers/data dropped), no bytecode, no pip metadata beyond
what the wheel carries. That needs no interpreter of the target platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inferplane.errors import BuildError

__all__ = ["LOCK_FILE", "Target", "download_wheels", "install_wheels", "lock_text"]

LOCK_FILE = Path(__file__).with_name("router-requirements.txt")
"""The router's run-time dependencies, pinned (name==version per line)."""

_PLATFORM_TAGS = {
    ("linux", "x86_64"): ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    ("linux", "aarch64"): ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
    # pip expands a macOS tag to every older macOS release, and universal2 wheels.
    ("macos", "aarch64"): ("macosx_14_0_arm64",),
}
_MACHINE = {"amd64": "x86_64", "arm64": "aarch64", "x86_64": "x86_64", "aarch64": "aarch64"}


@dataclass(frozen=True)
class Target:
    """Where the wheels will run."""

    arch: str
    """amd64/x86_64 or arm64/aarch64."""
    python_version: str
    """``3.11``, ``3.12``..."""
    os: str = "linux"
    """linux (manylinux wheels) or macos (Apple silicon only)."""

    @property
    def platforms(self) -> tuple[str, ...]:
        machine = _MACHINE.get(self.arch)
        tags = _PLATFORM_TAGS.get((self.os, machine or self.arch))
        if tags is None:
            known = ", ".join(f"{o}/{m}" for o, m in _PLATFORM_TAGS)
            raise BuildError(f"no wheels for {self.os}/{self.arch}; known: {known}")
        return tags

    def key(self, lock: str) -> str:
        text = "\n".join([lock, self.python_version, *self.platforms])
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        machine = _MACHINE[self.arch]
        return f"cp{self.python_version.replace('.', '')}-{self.os}-{machine}-{digest}"


def lock_text(lock: Path = LOCK_FILE) -> str:
    """The lock's requirement lines, normalised (comments and blanks dropped, sorted)."""
    lines = []
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "==" not in line:
            raise BuildError(f"{lock}: {line!r} is not pinned (expected name==version)")
        lines.append(line)
    return "\n".join(sorted(lines, key=str.lower)) + "\n"


def download_wheels(target: Target, cache: Path, lock: Path = LOCK_FILE) -> list[Path]:
    """The wheels of ``lock`` for ``target``, from the cache or downloaded into it."""
    text = lock_text(lock)
    entry = cache / "wheels" / target.key(text)
    record = entry / "wheels.json"
    if record.is_file():
        return _verified(entry, record)
    entry.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=entry.parent) as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(text, encoding="utf-8")
        download = Path(tmp) / "wheels"
        _pip_download(target, requirements, download)
        files = sorted(download.glob("*.whl"))
        (download / "wheels.json").write_text(
            json.dumps({p.name: _sha256(p) for p in files}, indent=1, sort_keys=True) + "\n"
        )
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(download, entry)
    return _verified(entry, record)


def _pip_download(target: Target, requirements: Path, dest: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        # Exact pins, and no dependency resolution beyond them: the lock is the closure.
        "--no-deps",
        "--only-binary=:all:",
        *[arg for tag in target.platforms for arg in ("--platform", tag)],
        "--python-version",
        target.python_version,
        "--implementation",
        "cp",
        "--requirement",
        str(requirements),
        "--dest",
        str(dest),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "WARNING" not in line]
        tail = "\n".join(errors[-10:])
        raise BuildError(
            f"pip could not download the router's wheels for {target.arch}/"
            f"cp{target.python_version} ({', '.join(target.platforms)}):\n{tail}"
        )


def _verified(entry: Path, record: Path) -> list[Path]:
    expected: dict[str, str] = json.loads(record.read_text())
    wheels = []
    for name, sha in sorted(expected.items()):
        path = entry / name
        if not path.is_file() or _sha256(path) != sha:
            raise BuildError(
                f"wheel cache {entry} is damaged ({name} missing or changed); delete the "
                "directory to download again"
            )
        wheels.append(path)
    return wheels


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def install_wheels(wheels: list[Path], target_dir: Path) -> None:
    """Unpack ``wheels`` into ``target_dir`` (a site-packages directory)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels):
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                relative = _install_path(info.filename)
                if relative is None or info.is_dir():
                    continue
                dest = target_dir / relative
                if not dest.resolve().is_relative_to(target_dir.resolve()):
                    raise BuildError(f"{wheel.name}: member {info.filename!r} escapes the target")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(archive.read(info))
                executable = (info.external_attr >> 16) & 0o111
                dest.chmod(0o755 if executable else 0o644)


def _install_path(name: str) -> str | None:
    head, _, rest = name.partition("/")
    if not head.endswith(".data"):
        return name
    scheme, _, inner = rest.partition("/")
    # purelib/platlib hold importable code; scripts, headers and data do not belong in
    # a site-packages directory that is only ever put on PYTHONPATH.
    return inner if scheme in ("purelib", "platlib") and inner else None
