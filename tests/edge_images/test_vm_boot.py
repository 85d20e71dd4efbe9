"""The slow tier's VM boot: the dev stack's austin-lab bundle, its router image baked into
a debootstrapped x86_64 disk and its cloud-init seed attached, booted under qemu (TCG,
user networking); the router answers ``/healthz`` on a forwarded loopback port and serves
the site's config (written by cloud-init from the seed).

Then the release scenario, run by the bundles' own ``install.sh systemd`` inside the VM
(signed bundles, checked with python3 only: the image has no curl and no minisign):
release v1 goes live; v2, whose model server never answers its health check, is rolled
back to v1 automatically while the router keeps answering; v3 (good) goes live. The
bundles reach the guest on a read-only data disk, as on a USB stick.

TEST-ONLY stand-ins (the VM has no GPU, no registry and no podman): ``/usr/bin/podman`` is
a script that records ``load`` and, for ``run``, serves HTTP 200 on the unit's published
loopback port, unless the image's tag is ``broken`` (then it never listens: a model
server that does not come up). The router image, ``umoci`` (the host's binary, same
Debian release), systemd, the installer and the signature and checksum checks are real.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from inferplane.edge_images import seed
from inferplane.edge_images.bundle import Bundle, BundleInputs, build_bundle
from inferplane.edge_images.vm import boot, build_disk, data_drive
from inferplane.packaging import default_cache
from inferplane.spec import load_stack
from tests.support.edgesite import pinned_image, signing_key_file
from tests.support.routersource import router_source
from tests.support.tools import require_root, require_tool

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT_S = 480.0
"""Under TCG on two shared cores the kernel, systemd and cloud-init's four stages take
a few minutes; past eight something is wrong, and the console tail says what."""
PHASE_TIMEOUT_S = 1500.0
"""One install under TCG: two checksum passes over the bundle, a copy, an umoci unpack
of the router image, the health gate (and for v2 the gate's deadline plus a rollback)."""
GATE_SECONDS = 240
"""install.sh's health deadline in the guest (the router restarts under TCG)."""
HOLD_SECONDS = 30
"""The guest waits this long after each phase while the host probes the router."""

PODMAN = r"""#!/bin/bash
# TEST-ONLY stand-in for podman in the qemu scenario (see the test module docstring).
echo "podman $*" >> /var/log/podman-standin.log
case "$1" in
load|stop|rm) exit 0 ;;
run) ;;
*) exit 0 ;;
esac
port="" image=""
for arg in "$@"; do
  case "$arg" in
  --publish=*) port=${arg#--publish=127.0.0.1:}; port=${port%%:*} ;;
  --*|run) ;;
  *) [ -z "$image" ] && image=$arg ;;
  esac
done
case "$image" in
*:broken@*) exec sleep infinity ;;
esac
exec python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{\"status\":\"ok\"}")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port"
"""

RUN = f"""#!/bin/bash
# The release scenario inside the guest: each bundle's own install.sh, one after another.
set -u
say() {{ echo "SCENARIO $*" > /dev/ttyS0; }}
d=/mnt/scenario
install -m 0755 "$d/podman" /usr/bin/podman
install -m 0755 "$d/umoci" /usr/local/bin/umoci
export INFERPLANE_HEALTH_SECONDS={GATE_SECONDS}
for v in v1 v2 v3; do
  say "$v start"
  "$d/$v/install.sh" systemd > "/var/log/scenario-$v.log" 2>&1
  rc=$?
  tail -n 4 "/var/log/scenario-$v.log" | sed "s/^/SCENARIO-LOG $v: /" > /dev/ttyS0
  live=$(basename "$(readlink /opt/inferplane/current)")
  say "$v rc=$rc live=$live"
  sleep {HOLD_SECONDS}
done
say "done"
"""

UNIT = """\
[Unit]
Description=TEST-ONLY inferplane release scenario
After=network-online.target

[Service]
Type=simple
ExecStartPre=/bin/mkdir -p /mnt/scenario
ExecStartPre=/bin/mount -o ro /dev/vdc /mnt/scenario
ExecStart=/mnt/scenario/run.sh
"""


def _note(phase: str, seconds: float) -> None:
    # As each phase ends (pytest -s): the times survive a run that is stopped later.
    print(f"\nvm phase: {phase}: {seconds:.0f} s", flush=True)


def _release(inputs: BundleInputs, out: Path, images: Path, tag: str) -> tuple[Bundle, str]:
    """One signed release whose model server is a stand-in image tagged ``tag``, its
    archive put where fetch-images.sh would (no registry here)."""
    archive, digest = pinned_image(images, f"model-{tag}")
    plugin, plugin_digest = pinned_image(images, f"plugin-{tag}")
    pins = {
        "llama-lab": f"registry.example/standin/llama:{tag}@{digest}",
        "nvidia-device-plugin": f"registry.example/standin/plugin:{tag}@{plugin_digest}",
    }
    bundle = build_bundle(replace(inputs, images=pins), out)
    manifest = json.loads((out / "manifest.json").read_text())
    by_digest = {digest: archive, plugin_digest: plugin}
    for entry in manifest["install"]["images"].values():
        shutil.copyfile(by_digest[entry["digest"]], out / entry["archive"])
    return bundle, bundle.manifest_sha256


def _scenario_seed(bundle: Bundle, out: Path) -> Path:
    """The site's provisioning seed plus the scenario unit, started at the end of boot."""
    source = bundle.secrets.directory / "seed"
    config = yaml.safe_load((source / "user-data").read_text())
    config["write_files"].append(
        {
            "path": "/etc/systemd/system/inferplane-scenario.service",
            "content": UNIT,
            "owner": "root:root",
            "permissions": "0644",
        }
    )
    config["runcmd"].append(["systemctl", "start", "--no-block", "inferplane-scenario.service"])
    user_data = "#cloud-config\n" + yaml.safe_dump(config, sort_keys=True, width=1000)
    texts = {
        "user-data": user_data,
        "meta-data": seed.meta_data(bundle.path.name, "austin-lab-edge", user_data),
        "network-config": (source / "network-config").read_text(),
    }
    seed.write_seed_iso(texts, out)
    return out


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
        cache=default_cache(ROOT),
        secrets=tmp_path / "secrets",
        signing_key=signing_key_file(),
    )
    times: dict[str, float] = {}
    started = time.monotonic()
    stage = tmp_path / "scenario"
    digests = {}
    for version, tag in (("v1", "good1"), ("v2", "broken"), ("v3", "good3")):
        built, digests[version] = _release(inputs, stage / version, tmp_path / "images", tag)
        if version == "v1":
            bundle = built
    assert len(set(digests.values())) == 3
    shutil.copyfile(shutil.which("umoci") or "umoci", stage / "umoci")
    (stage / "podman").write_text(PODMAN)
    (stage / "run.sh").write_text(RUN)
    for name in ("umoci", "podman", "run.sh"):
        (stage / name).chmod(0o755)
    drive = data_drive(stage, tmp_path / "scenario.ext4")
    assert bundle.router_image is not None
    disk = build_disk(bundle.router_image, default_cache(ROOT))
    built_at = time.monotonic()
    times["build 3 bundles + disk"] = built_at - started
    _note("build 3 bundles + disk", built_at - started)
    console = tmp_path / "console.log"
    # The provisioning seed (with the site's TLS files and trusted signing key) from the
    # secrets directory: the router serves only HTTPS with the site's certificate.
    ca = bundle.secrets.ca
    seed_iso = _scenario_seed(bundle, tmp_path / "seed.iso")
    with boot(disk, seed_iso, console, drives=(drive,)) as vm:
        status, body = vm.wait_http("/healthz", BOOT_TIMEOUT_S, ca=ca)
        answered = time.monotonic()
        times["boot to /healthz"] = answered - built_at
        _note("boot to /healthz", answered - built_at)
        assert status == 200, f"/healthz answered {status}: {body!r}\n{vm.console_tail()}"
        assert json.loads(body) == {"status": "ok"}
        # /readyz: at least one target's breaker is closed. Which targets, only an operator
        # sees (admin.keys or admin.port in the router config; issue 19).
        ready_status, ready = vm.wait_http("/readyz", 30.0, ca=ca)
        assert ready_status == 200, ready
        assert json.loads(ready) == {"status": "ready"}

        last = time.monotonic()
        for version, rc, live in (("v1", 0, "v1"), ("v2", 1, "v1"), ("v3", 0, "v3")):
            found = vm.wait_console(rf"SCENARIO {version} rc=(\d+) live=(\w+)", PHASE_TIMEOUT_S)
            now = time.monotonic()
            times[f"install {version}"] = now - last
            _note(f"install {version} ({found.group(0)})", now - last)
            last = now
            assert (int(found.group(1)), found.group(2)) == (rc, digests[live]), (
                f"{version}: {found.group(0)}\n{vm.console_tail(80)}"
            )
            # The router answers after every phase (v2's rollback restarted v1's).
            status, body = vm.wait_http("/healthz", HOLD_SECONDS / 2, ca=ca)
            assert status == 200, f"after {version}: /healthz {status} {body!r}"
        text = console.read_bytes().decode("utf-8", errors="replace")
        assert f"failed its health gate; rolled back to {digests['v1']}" in text, vm.console_tail(
            80
        )
    print("\nvm release scenario phase times:")
    for phase, seconds in times.items():
        print(f"  {phase}: {seconds:.0f} s")
    print(f"  (disk {disk.key})")
