"""The site install script, run for real with bash into a temporary root, with ``k3s``,
``systemctl``, ``launchctl`` and ``curl`` replaced by stubs that log their arguments."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from components.edge.bundle import Bundle, read_bundle
from components.edge.install import SiteLayout, install_script, uninstall_script
from tests.components.edge.bundles import FILES, write_bundle

HEALTH = "http://127.0.0.1:8088/healthz"


class Site:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "site"
        self.root.mkdir()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.log = tmp_path / "calls.log"
        self.healthy = True
        for tool in ("k3s", "systemctl", "launchctl", "curl"):
            stub = self.bin / tool
            stub.write_text(
                f'#!/bin/bash\necho "{tool} $*" >> {self.log}\n'
                + ('[ -e "$(dirname "$0")/unhealthy" ] && exit 7\n' if tool == "curl" else "")
                + "exit 0\n"
            )
            stub.chmod(0o755)
        self.layout = SiteLayout(root=str(self.root))
        self.base = self.root / "opt/inferplane"

    def upload(self, bundle: Bundle, nested: bool = False) -> None:
        """What CopyToRemote leaves on the site."""
        target = self.base / "incoming" / bundle.digest
        if nested:
            target = target / bundle.directory.name
        shutil.copytree(bundle.directory, target)

    def run(self, script: str) -> subprocess.CompletedProcess[str]:
        (self.bin / "unhealthy").unlink(missing_ok=True)
        if not self.healthy:
            (self.bin / "unhealthy").touch()
        env = {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}"}
        return subprocess.run(
            ["bash", "-s"], input=script, env=env, capture_output=True, text=True, check=False
        )

    def install(
        self, bundle: Bundle, runtime: str = "k3s", wait: int = 30
    ) -> subprocess.CompletedProcess[str]:
        script = install_script(
            runtime,  # type: ignore[arg-type]
            bundle.digest,
            bundle.checksums(),
            HEALTH,
            layout=self.layout,
            wait_seconds=wait,
        )
        return self.run(script)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return read_bundle(write_bundle(tmp_path / "bundle"))


def test_k3s_install_verifies_imports_images_and_drops_manifests(
    site: Site, bundle: Bundle
) -> None:
    site.upload(bundle)
    done = site.install(bundle)
    assert done.returncode == 0, done.stderr
    k3s = site.root / "var/lib/rancher/k3s"
    assert (k3s / "agent/images/router.tar").read_bytes() == FILES["agent/images/router.tar"]
    manifest = k3s / "server/manifests/inferplane-inferplane.yaml"
    assert manifest.read_bytes() == FILES["server/manifests/inferplane.yaml"]
    assert oct(manifest.stat().st_mode & 0o777) == "0o600"
    registries = site.root / "etc/rancher/k3s/registries.yaml"
    assert registries.read_bytes() == FILES["registries.yaml"]
    release = site.base / "releases" / bundle.digest
    assert (site.base / "current").resolve() == release.resolve()
    assert not (site.base / "incoming" / bundle.digest).exists()
    calls = site.calls()
    imports = [c for c in calls if c.startswith("k3s ctr images import")]
    assert len(imports) == 2
    assert calls.count("systemctl restart k3s") == 1
    assert calls[-1] == f"curl -fsS --max-time 5 {HEALTH}"
    assert f"release {bundle.digest} is live" in done.stdout


def test_rerun_installs_from_the_release_without_restarting_k3s(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    assert site.install(bundle).returncode == 0
    again = site.install(bundle)
    assert again.returncode == 0, again.stderr
    assert site.calls().count("systemctl restart k3s") == 1  # registries.yaml unchanged


def test_copy_nested_one_level_is_found(site: Site, bundle: Bundle) -> None:
    site.upload(bundle, nested=True)
    done = site.install(bundle)
    assert done.returncode == 0, done.stderr
    assert (site.base / "releases" / bundle.digest / "manifest.json").is_file()


def test_tampered_bundle_installs_nothing(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    copied = site.base / "incoming" / bundle.digest / "server/manifests/inferplane.yaml"
    copied.write_bytes(b"apiVersion: v1\nkind: Secret\n")  # same size, other bytes
    done = site.install(bundle)
    assert done.returncode != 0
    assert "checksum mismatch, nothing installed" in done.stderr
    assert not (site.root / "var/lib/rancher").exists()
    assert not (site.base / "current").exists()
    assert site.calls() == []


def test_missing_upload_fails(site: Site, bundle: Bundle) -> None:
    done = site.install(bundle)
    assert done.returncode != 0
    assert "not found under" in done.stderr


def test_unhealthy_site_fails_the_install(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    site.healthy = False
    done = site.install(bundle, wait=0)
    assert done.returncode != 0
    assert f"{HEALTH} did not answer in 0s" in done.stderr


def test_systemd_units_are_enabled_and_restarted(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    done = site.install(bundle, runtime="systemd")
    assert done.returncode == 0, done.stderr
    assert (site.root / "etc/systemd/system/inferplane-router.service").is_file()
    calls = site.calls()
    assert "systemctl daemon-reload" in calls
    assert "systemctl enable inferplane-router.service" in calls
    assert "systemctl restart inferplane-router.service" in calls
    assert not (site.root / "var/lib/rancher").exists()


def test_launchd_plists_are_bootstrapped(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    done = site.install(bundle, runtime="launchd")
    assert done.returncode == 0, done.stderr
    plist = site.root / "Library/LaunchDaemons/dev.inferplane.router.plist"
    assert plist.is_file()
    assert f"launchctl bootstrap system {plist}" in site.calls()


def test_only_the_last_three_releases_are_kept(site: Site, tmp_path: Path) -> None:
    digests = []
    for i in range(5):
        bundle = read_bundle(
            write_bundle(tmp_path / f"b{i}", {**FILES, "registries.yaml": f"r{i}\n".encode()})
        )
        site.upload(bundle)
        assert site.install(bundle).returncode == 0
        os.utime(site.base / "releases" / bundle.digest, (1_000_000 + i, 1_000_000 + i))
        digests.append(bundle.digest)
    kept = sorted(p.name for p in (site.base / "releases").iterdir())
    # The prune runs after each install: the fifth run keeps the newest three.
    assert len(kept) == 3
    assert digests[-1] in kept


def test_uninstall_deletes_the_objects_then_the_files(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    assert site.install(bundle).returncode == 0
    done = site.run(uninstall_script("k3s", site.layout))
    assert done.returncode == 0, done.stderr
    manifest = site.root / "var/lib/rancher/k3s/server/manifests/inferplane-inferplane.yaml"
    assert f"k3s kubectl delete --ignore-not-found -f {manifest}" in site.calls()
    assert not manifest.exists()
    assert not (site.base / "releases").exists()
    assert not (site.base / "current").exists()


def test_systemd_uninstall_disables_the_units(site: Site, bundle: Bundle) -> None:
    site.upload(bundle)
    assert site.install(bundle, runtime="systemd").returncode == 0
    done = site.run(uninstall_script("systemd", site.layout))
    assert done.returncode == 0, done.stderr
    assert "systemctl disable --now inferplane-router.service" in site.calls()
    assert not (site.root / "etc/systemd/system/inferplane-router.service").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "docker"}, "runtime 'docker' is unknown; allowed: k3s, systemd, launchd"),
        ({"wait_seconds": -1}, "wait_seconds -1 is out of range; allowed: 0..7200"),
        ({"checksums": "abc  x"}, "checksums must be sha256sum lines"),
        ({"checksums": "SHA256SUMS\n"}, "checksums must be sha256sum lines"),
    ],
)
def test_invalid_script_arguments(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "runtime": "k3s",
        "digest": "0" * 64,
        "checksums": f"{'0' * 64}  a\n",
        "health_url": HEALTH,
    }
    with pytest.raises(ValueError, match=message):
        install_script(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("runtime", ["k3s", "systemd", "launchd"])
def test_scripts_pass_shellcheck(runtime: str, tmp_path: Path) -> None:
    """Needs the Debian package shellcheck (installed by .ci/run)."""
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    install = install_script(
        runtime,  # type: ignore[arg-type]
        "a" * 64,
        f"{'b' * 64}  agent/images/x.tar\n",
        HEALTH,
        layout=SiteLayout("/srv/inferplane"),
    )
    paths = []
    for name, text in (("install", install), ("uninstall", uninstall_script(runtime))):  # type: ignore[arg-type]
        path = tmp_path / f"{name}.sh"
        path.write_text(text)
        paths.append(str(path))
    done = subprocess.run(
        [checker, "--shell=bash", "--severity=info", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
