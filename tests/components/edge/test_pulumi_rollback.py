"""Rollback on the Pulumi path: the scripts EdgeSite sends over SSH (the install handover
and the health gate), run with bash on REAL built bundles in a temporary root with the
recording shims of the installer's own tests. A release that fails its health gate is
rolled back by the bundle's install.sh, the install command fails with the site's reason,
and the gate (what the fleet's next wave waits for) fails too, naming the live release."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from inferplane.components.edge.bundle import read_bundle
from inferplane.components.edge.health_gate import gate_script
from inferplane.components.edge.install import Runtime, SiteLayout, handover_script
from tests.edge_images.test_releases import Site, _digest, releases
from tests.support.edgesite import FakeSite

__all__ = ["releases"]  # the module-scoped fixture: three real releases of one site


def pulumi_install(site: Site, bundle: Path) -> subprocess.CompletedProcess[str]:
    """What EdgeSite does: copy the bundle to incoming/<digest>, then `bash -s` the script."""
    built = read_bundle(bundle)
    shutil.copytree(bundle, site.base / "incoming" / built.digest)
    script = handover_script(
        "systemd",
        built.digest,
        built.checksums(),
        layout=SiteLayout(root=str(site.root)),
        wait_seconds=0,
    )
    return site.run(["bash", "-s"], script)


def gate(site: Site, bundle: Path) -> subprocess.CompletedProcess[str]:
    return site.run(
        ["bash", "-s"], gate_script("austin-lab", _digest(bundle), 8088, root=str(site.root))
    )


def test_a_release_failing_its_health_gate_is_rolled_back_and_the_gate_fails(
    tmp_path: Path, releases: tuple[Path, dict[str, Path]]
) -> None:
    secrets, bundles = releases
    site = Site(tmp_path, secrets)
    v1, v2 = _digest(bundles["v1"]), _digest(bundles["v2"])

    done = pulumi_install(site, bundles["v1"])
    assert done.returncode == 0, done.stderr
    assert f"install: release {v1} is live (systemd)" in done.stdout
    checked = gate(site, bundles["v1"])
    assert checked.returncode == 0, checked.stderr
    assert f"live:     {v1}" in checked.stdout  # the site's `health` output
    assert site.calls()[-1] == (
        f"curl -fsS --max-time 10 --cacert {site.root}/etc/inferplane/tls/ca.pem "
        "https://127.0.0.1:8088/readyz"
    )

    (site.bin / "bad").write_text(v2)
    done = pulumi_install(site, bundles["v2"])
    assert done.returncode == 1  # the Pulumi command fails ...
    assert f"install: {v2} failed its health gate; rolled back to {v1}" in done.stdout  # ... why
    assert site.current() == v1
    checked = gate(site, bundles["v2"])
    assert checked.returncode == 1
    assert f"site austin-lab: release {v2} is not live (live: {v1})" in checked.stderr
    assert f"rolled back to {v1}" in checked.stderr  # the installer's last: line

    done = pulumi_install(site, bundles["v3"])
    assert done.returncode == 0, done.stderr
    assert gate(site, bundles["v3"]).returncode == 0
    assert (site.current(), site.previous()) == (_digest(bundles["v3"]), v1)


def test_the_gate_fails_when_the_router_does_not_answer(
    tmp_path: Path, releases: tuple[Path, dict[str, Path]]
) -> None:
    secrets, bundles = releases
    site = Site(tmp_path, secrets)
    assert pulumi_install(site, bundles["v1"]).returncode == 0
    (site.bin / "curl").write_text("#!/bin/bash\nexit 7\n")
    checked = gate(site, bundles["v1"])
    assert checked.returncode == 1
    assert "the site router's /readyz does not answer" in checked.stderr


def test_the_gate_fails_on_a_site_with_no_release(tmp_path: Path) -> None:
    site = FakeSite(tmp_path)
    checked = site.run(
        ["bash", "-s"], gate_script("austin-lab", "0" * 64, 8088, root=str(site.root))
    )
    assert checked.returncode == 1
    assert "site austin-lab: no release is live" in checked.stderr
    assert site.calls() == []  # nothing probed


@pytest.mark.parametrize("runtime", ["k3s", "systemd"])
def test_the_pulumi_path_scripts_pass_shellcheck(runtime: Runtime, tmp_path: Path) -> None:
    """Needs the Debian package shellcheck (installed by .ci/run)."""
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    scripts = {
        "handover": handover_script(runtime, "a" * 64, f"{'b' * 64}  manifest.json\n"),
        "gate": gate_script("plant-a", "a" * 64, 8088),
    }
    for name, text in scripts.items():
        (tmp_path / f"{name}.sh").write_text(text)
    done = subprocess.run(
        [checker, "--shell=bash", "--severity=info", *map(str, sorted(tmp_path.glob("*.sh")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_launchd_has_no_handover() -> None:
    with pytest.raises(ValueError, match=r"runtime 'launchd' has no install\.sh handover"):
        handover_script("launchd", "a" * 64, f"{'b' * 64}  manifest.json\n")


def test_a_fresh_site_trusts_the_signer_from_the_trust_step_then_installs(
    tmp_path: Path, releases: tuple[Path, dict[str, Path]]
) -> None:
    """The seam between EdgeSite and the signed bundle: a site provisioned without a seed
    has no trusted keys, so install.sh refuses; EdgeSite's trust step (the operator's
    bundle's trust/*.pub, sent over SSH) comes first, and then the install goes through."""
    from inferplane.components.edge.install import trust_script

    secrets, bundles = releases
    site = Site(tmp_path, secrets)
    shutil.rmtree(site.root / "etc/inferplane/trusted-keys")
    refused = pulumi_install(site, bundles["v1"])
    assert refused.returncode != 0
    assert "trusted" in refused.stdout + refused.stderr
    assert not (site.base / "current").exists()  # nothing went live

    keys = read_bundle(bundles["v1"]).trusted_keys()
    trusted = site.run(["bash", "-s"], trust_script(keys, SiteLayout(root=str(site.root))))
    assert trusted.returncode == 0, trusted.stderr
    assert sorted(p.name for p in (site.root / "etc/inferplane/trusted-keys").iterdir()) == (
        sorted(keys)
    )
    done = pulumi_install(site, bundles["v1"])
    assert done.returncode == 0, done.stderr
    assert f"install: release {_digest(bundles['v1'])} is live (systemd)" in done.stdout


def test_the_trust_step_refuses_what_is_not_a_minisign_key() -> None:
    from inferplane.components.edge.install import trust_script

    with pytest.raises(ValueError, match=r"trusted key X\.pub"):
        trust_script({"X.pub": "untrusted comment: x\nnot-base64!\n"})
    with pytest.raises(ValueError, match="needs at least one public key"):
        trust_script({})
