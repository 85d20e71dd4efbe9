"""Tests that need a system tool (skopeo, umoci, xorriso, systemd-analyze, debootstrap,
qemu): skipped on a developer machine that lacks it, failed under CI (``CI=true``), where
.ci/run installs every one of them, so a missing install step cannot hide as a skip."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_root", "require_tool"]


def require_tool(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (apt-get install -y ...)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_root() -> None:
    if os.geteuid() == 0:
        return
    if os.environ.get("CI"):
        pytest.fail("needs root (chroot, debootstrap)")
    pytest.skip("needs root (chroot, debootstrap)")
