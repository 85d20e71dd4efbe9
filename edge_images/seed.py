"""The cloud-init NoCloud seed for a device's first boot: ``user-data``, ``meta-data``
and ``network-config`` on an ISO9660 volume labelled ``cidata``.

The user-data writes the site's router config and systemd units and starts them; the
router's root filesystem is expected at ``/var/lib/inferplane/router/rootfs`` (install.sh
puts it there from the bundle, or an image build bakes it in). The ISO is written by
xorriso with ``SOURCE_DATE_EPOCH=0`` and zero file times, so the same seed gives the same
bytes on every run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from inferplane.errors import BuildError

__all__ = ["LABEL", "SEED_FILES", "meta_data", "network_config", "user_data", "write_seed_iso"]

LABEL = "cidata"
SEED_FILES = ("meta-data", "network-config", "user-data")


def _dump(value: object) -> str:
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False, width=1000)


def user_data(
    hostname: str,
    files: dict[str, str],
    enable: list[str],
    start: list[str],
    private: set[str] | frozenset[str] = frozenset(),
) -> str:
    """``#cloud-config`` writing ``files`` (path -> text; those in ``private`` root-only),
    enabling ``enable`` units and starting ``start`` units (a unit whose start fails does
    not stop the others)."""
    config = {
        "hostname": hostname,
        "preserve_hostname": False,
        "write_files": [
            {
                "path": path,
                "content": text,
                "owner": "root:root",
                "permissions": "0600" if path in private else "0644",
            }
            for path, text in sorted(files.items())
        ],
        "runcmd": [
            ["systemctl", "daemon-reload"],
            *(["systemctl", "enable", unit] for unit in enable),
            *(["systemctl", "start", "--no-block", unit] for unit in start),
        ],
    }
    return "#cloud-config\n" + _dump(config)


def meta_data(site: str, hostname: str, user_data_text: str) -> str:
    """The instance id changes with the user-data, so cloud-init runs again for a new one."""
    digest = hashlib.sha256(user_data_text.encode()).hexdigest()[:12]
    return _dump({"instance-id": f"inferplane-{site}-{digest}", "local-hostname": hostname})


def network_config() -> str:
    """DHCP on every wired interface (v2 syntax); sites with static addressing replace it."""
    return _dump(
        {
            "version": 2,
            "ethernets": {"wired": {"match": {"name": "e*"}, "dhcp4": True, "dhcp6": False}},
        }
    )


def write_seed_iso(files: dict[str, str], out: Path) -> None:
    """An ISO9660 (Joliet + Rock Ridge) volume labelled ``cidata`` holding ``files``."""
    if sorted(files) != sorted(SEED_FILES):
        raise BuildError(f"a NoCloud seed holds exactly {', '.join(SEED_FILES)}")
    xorriso = shutil.which("xorriso")
    if xorriso is None:
        raise BuildError("xorriso is not installed (apt-get install -y xorriso)")
    with tempfile.TemporaryDirectory() as tmp:
        staged = []
        for name in SEED_FILES:
            path = Path(tmp, name)
            path.write_text(files[name], encoding="utf-8")
            os.utime(path, (0, 0))
            staged.append(str(path))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
        command = [
            xorriso, "-as", "mkisofs", "-quiet", "-output", str(out),
            "-volid", LABEL, "-joliet", "-rock", *staged,
        ]  # fmt: skip
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise BuildError(f"xorriso failed (exit {result.returncode}): {result.stderr.strip()}")
