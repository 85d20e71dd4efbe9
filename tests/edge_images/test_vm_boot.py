"""The slow tier's VM boot: the dev stack's austin-lab bundle, its router image baked into
a debootstrapped x86_64 disk and its cloud-init seed attached, booted under qemu (TCG,
user networking); the router answers ``/healthz`` on a forwarded loopback port and serves
the site's config (written by cloud-init from the seed)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from inferplane.edge_images.bundle import BundleInputs, build_bundle
from inferplane.edge_images.vm import boot, build_disk
from inferplane.packaging import default_cache
from inferplane.spec import load_stack
from tests.support.routersource import router_source
from tests.support.tools import require_root, require_tool

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT_S = 480.0
"""Under TCG on two shared cores the kernel, systemd and cloud-init's four stages take
a few minutes; past eight something is wrong, and the console tail says what."""


@pytest.mark.slow
def test_seeded_vm_boots_and_router_answers_healthz(tmp_path: Path) -> None:
    require_root()
    require_tool("debootstrap", "umoci", "mkfs.ext4", "xorriso", "qemu-system-x86_64")
    source = tmp_path / "src"
    shutil.copytree(
        router_source() / "router", source / "router", ignore=shutil.ignore_patterns("__pycache__")
    )
    inputs = BundleInputs(
        spec=load_stack(ROOT, "dev").spec,
        stack="dev",
        site="austin-lab",
        source_root=source,
        cache=default_cache(),
    )
    started = time.monotonic()
    bundle = build_bundle(inputs, tmp_path / "bundle")
    assert bundle.router_image is not None
    disk = build_disk(bundle.router_image, default_cache())
    built = time.monotonic()
    console = tmp_path / "console.log"
    # The provisioning seed (with the site's TLS files) from the secrets directory: the
    # router serves only HTTPS with the site's certificate.
    ca = bundle.secrets.ca
    with boot(disk, bundle.secrets.directory / "seed" / "seed.iso", console) as vm:
        status, body = vm.wait_http("/healthz", BOOT_TIMEOUT_S, ca=ca)
        answered = time.monotonic()
        assert status == 200, f"/healthz answered {status}: {body!r}\n{vm.console_tail()}"
        assert json.loads(body) == {"status": "ok"}
        # /readyz: at least one target's breaker is closed. Which targets, only an operator
        # sees (admin.keys or admin.port in the router config; issue 19).
        ready_status, ready = vm.wait_http("/readyz", 30.0, ca=ca)
        assert ready_status == 200, ready
        assert json.loads(ready) == {"status": "ready"}
    print(
        f"\nvm boot: bundle+disk {built - started:.0f} s, boot to /healthz "
        f"{answered - built:.0f} s (disk {disk.key})"
    )
