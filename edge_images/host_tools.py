"""The programs ``inferplane edge build`` runs on the build host, checked all at once before
any work starts: one error names every missing tool, the Debian package that provides it
and the command that installs them (``tools/debian-tools.sh`` installs the same packages;
tests/edge_images/test_host_tools.py keeps the two lists in step)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from inferplane.errors import BuildError
from inferplane.packaging.rootfs import BaseSystem, host_arch
from inferplane.packaging.router_image import builds_base_rootfs

__all__ = [
    "DEBOOTSTRAP",
    "DPKG_DEB",
    "OPENSSL",
    "XORRISO",
    "HostTool",
    "needed",
    "needs_root",
    "require",
]


@dataclass(frozen=True)
class HostTool:
    """A program the build runs, and the Debian package it comes from."""

    command: str
    package: str
    purpose: str


OPENSSL = HostTool("openssl", "openssl", "the site's TLS certificate and CA")
XORRISO = HostTool("xorriso", "xorriso", "the cloud-init seed ISO")
DEBOOTSTRAP = HostTool("debootstrap", "debootstrap", "the router image's Debian base")
DPKG_DEB = HostTool("dpkg-deb", "dpkg", "unpacking a foreign-architecture Debian base")
INSTALL_HINT = "tools/debian-tools.sh (as root) in a checkout, or: sudo apt-get install -y"


def needed(
    arches: Iterable[str], containers: bool, base: BaseSystem, cache: Path
) -> tuple[HostTool, ...]:
    """The tools a build of a profile with ``arches`` needs, given what ``cache`` holds."""
    tools = [OPENSSL]
    if containers:
        tools.append(XORRISO)
        building = [a for a in arches if builds_base_rootfs(base, a, cache)]
        if building:
            tools.append(DEBOOTSTRAP)
        if any(a != host_arch() for a in building):
            tools.append(DPKG_DEB)
    return tuple(tools)


def needs_root(arches: Iterable[str], containers: bool, base: BaseSystem, cache: Path) -> bool:
    """debootstrap runs as root: only when a base rootfs is not cached yet."""
    return containers and any(builds_base_rootfs(base, a, cache) for a in arches)


def require(tools: Iterable[HostTool], *, root: bool = False) -> None:
    """BuildError naming every missing tool (and root, when needed), or nothing."""
    missing = [t for t in tools if shutil.which(t.command) is None]
    problems = [f"{t.command} (Debian package {t.package}: {t.purpose})" for t in missing]
    if root and os.geteuid() != 0:
        problems.append("root (debootstrap builds the base rootfs as root; run the build as root)")
    if not problems:
        return
    packages = " ".join(sorted({t.package for t in missing}))
    install = f"\ninstall them with {INSTALL_HINT} {packages}" if missing else ""
    raise BuildError(
        "inferplane edge build needs what this host lacks:\n  " + "\n  ".join(problems) + install
    )
