"""The router image's base root filesystem: Debian (minbase) with Python 3, built with
debootstrap from the Debian mirror and cached, because outside registries (docker.io)
cannot be pulled here.

For the machine's own architecture debootstrap runs both stages (maintainer scripts run
in a chroot, so building needs root). For a foreign architecture it runs only the first
stage (download and unpack the required set), then unpacks every downloaded package with
``dpkg-deb -x`` and does the two things the skipped maintainer scripts would have done
that Python needs: ``/etc/passwd``/``/etc/group`` from base-passwd, and the CA bundle from
ca-certificates. No foreign binary runs during the build, so no binfmt emulation is
needed.

A rootfs is cached under ``<cache>/rootfs/<key>/`` (key: suite, arch, packages, mirror);
its ``complete`` marker is written last so an interrupted build is redone.
"""

from __future__ import annotations

import hashlib
import os
import platform as host_platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from inferplane.errors import BuildError

__all__ = [
    "LAYER_EXCLUDES",
    "BaseSystem",
    "build_rootfs",
    "host_arch",
    "layer_exclude",
    "rootfs_cached",
]

_DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "amd64": "amd64", "arm64": "arm64"}

LAYER_EXCLUDES = (
    "dev/",
    "proc/",
    "sys/",
    "run/",
    "tmp/",
    "debootstrap/",
    "var/cache/apt/",
    "var/cache/debconf/",
    "var/lib/apt/lists/",
    "var/log/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/locale/",
)
"""Contents left out of the image layer: runtime mounts, package caches and logs (which
carry build timestamps), and translations/manuals nobody reads in a container."""


def layer_exclude(rel: str) -> bool:
    """Whether ``rel`` (a path inside the rootfs) stays out of the base layer. An excluded
    directory itself is still written, empty (see ``tarball.tree_entries``)."""
    return (rel + "/").startswith(LAYER_EXCLUDES)


@dataclass(frozen=True)
class BaseSystem:
    """What goes into the base rootfs."""

    suite: str = "bookworm"
    packages: tuple[str, ...] = ("python3", "ca-certificates")
    mirror: str = "http://deb.debian.org/debian"
    python: str = "/usr/bin/python3"
    python_version: str = "3.11"
    """The suite's Python (bookworm: 3.11); wheels are downloaded for this version."""

    def key(self, arch: str) -> str:
        text = "\n".join([self.suite, arch, self.mirror, *sorted(self.packages)])
        return f"{self.suite}-{arch}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"

    @property
    def label(self) -> str:
        return f"debian {self.suite} minbase + {', '.join(self.packages)}"


def host_arch() -> str:
    machine = host_platform.machine()
    return _DEBIAN_ARCH.get(machine, machine)


def build_rootfs(base: BaseSystem, arch: str, cache: Path) -> Path:
    """The cached rootfs of ``base`` for ``arch``, building it first if needed."""
    if arch not in ("amd64", "arm64"):
        raise BuildError(f"unknown architecture {arch!r}; allowed: amd64, arm64")
    entry = cache / "rootfs" / base.key(arch)
    rootfs = entry / "rootfs"
    if rootfs_cached(base, arch, cache):
        return rootfs
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is not installed (apt-get install -y debootstrap)")
    if os.geteuid() != 0:
        raise BuildError(f"building the {arch} base rootfs needs root (debootstrap); run as root")
    if entry.exists():
        shutil.rmtree(entry)
    entry.mkdir(parents=True)
    if arch == host_arch():
        _debootstrap(base, arch, rootfs, foreign=False)
    else:
        _debootstrap(base, arch, rootfs, foreign=True)
        _unpack_all(rootfs)
        _configure_minimal(rootfs)
    (entry / "complete").write_text(base.label + "\n")
    return rootfs


def rootfs_cached(base: BaseSystem, arch: str, cache: Path) -> bool:
    """Whether ``build_rootfs`` finds the base rootfs in ``cache`` (no debootstrap run)."""
    return (cache / "rootfs" / base.key(arch) / "complete").is_file()


def _debootstrap(base: BaseSystem, arch: str, rootfs: Path, *, foreign: bool) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--arch={arch}",
        f"--include={','.join(base.packages)}",
        *(["--foreign"] if foreign else []),
        base.suite,
        str(rootfs),
        base.mirror,
    ]
    _run(command, f"debootstrap {base.suite} for {arch}")


def _unpack_all(rootfs: Path) -> None:
    archives = sorted((rootfs / "var/cache/apt/archives").glob("*.deb"))
    if not archives:
        raise BuildError(f"debootstrap left no packages in {rootfs}/var/cache/apt/archives")
    for deb in archives:
        _run(["dpkg-deb", "-x", str(deb), str(rootfs)], f"unpack {deb.name}")


def _configure_minimal(rootfs: Path) -> None:
    masters = rootfs / "usr/share/base-passwd"
    for name in ("passwd", "group"):
        target = rootfs / "etc" / name
        if not target.exists():
            shutil.copyfile(masters / f"{name}.master", target)
    certs = sorted((rootfs / "usr/share/ca-certificates").rglob("*.crt"))
    bundle = rootfs / "etc/ssl/certs/ca-certificates.crt"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(b"".join(cert.read_bytes() for cert in certs))


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{tail}")
