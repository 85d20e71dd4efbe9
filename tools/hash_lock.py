"""Add ``--hash`` lines to requirements.lock, so every install checks what it downloads.

Usage: python tools/hash_lock.py requirements.lock   (run by ``make lock``)

pip resolves the pinned set without installing (``--dry-run --report``) and reports the
sha256 of the exact file it would install on this kind of machine; those hashes are
written next to each pin. Installs then use ``--require-hashes``: a changed or substituted
file on the index fails the install instead of running.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(text: str) -> list[tuple[str, str, str]]:
    """(requirement as written, canonical name, version) for each pin, hashes dropped."""
    pins = []
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            name, extras, version = match.group(1), match.group(2) or "", match.group(3)
            pins.append((f"{name}{extras}=={version}", _canonical(name), version))
    return pins


def _hashes(requirements: list[str]) -> dict[tuple[str, str], str]:
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "pins.txt"
        spec.write_text("\n".join(requirements) + "\n")
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-deps",
                "--quiet",
                "--report",
                str(report),
                "-r",
                str(spec),
            ],
            check=True,
        )
        data = json.loads(report.read_text())
    found = {}
    for item in data["install"]:
        meta = item["metadata"]
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        found[(_canonical(meta["name"]), meta["version"])] = digest
    return found


def main(path: str) -> None:
    lock = Path(path)
    pins = _pins(lock.read_text())
    hashes = _hashes([requirement for requirement, _, _ in pins])
    missing = [r for r, name, version in pins if (name, version) not in hashes]
    if missing:
        sys.exit(f"no hash reported for: {', '.join(missing)}")
    lines = [
        "# Pinned with hashes by `make lock` (tools/hash_lock.py); install with --require-hashes.",
        *(f"{r} \\\n    --hash=sha256:{hashes[(name, version)]}" for r, name, version in pins),
    ]
    lock.write_text("\n".join(lines) + "\n")
    print(f"{lock}: {len(pins)} pins with hashes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
