"""Releases and health-gated rollback of the bundle's own install.sh, on real built
bundles in a temporary root with recording shims: every install lands in
``releases/<manifest sha256>/`` behind the ``current`` symlink; a release whose model
server fails its health check is rolled back to the previous one, which is restarted."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from inferplane.edge_images.weights import pack_model
from tests.support.edgesite import FakeSite, build_site_bundle, resign, systemd_spec
from tests.support.routersource import router_source

TARGET = "llama-lab"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """Three releases of one site: v1 as built, v2 and v3 with different weights."""
    tmp = tmp_path_factory.mktemp("releases")
    built = build_site_bundle(systemd_spec(), "dev", "austin-lab", router_source(), tmp / "v1")
    assert FakeSite(tmp / "shims", built.archives).run([str(built.path / "fetch-images.sh")])
    manifest = json.loads((built.path / "manifest.json").read_text())
    (name,) = manifest["targets"][TARGET]["model_files"]
    found = {"v1": built.path}
    for version in ("v2", "v3"):
        copy = tmp / version
        shutil.copytree(built.path, copy)
        weights = tmp / f"{version}-weights" / name
        weights.parent.mkdir()
        weights.write_bytes(b"GGUF" + version.encode() * 100)
        pack_model(copy, TARGET, weights)
        resign(copy)
        found[version] = copy
    return built.built.secrets.directory, found


def _digest(bundle: Path) -> str:
    return hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()


class Site(FakeSite):
    """A FakeSite whose curl fails the model server's health URL while ``current`` points
    at the release named in ``bin/bad`` (a model server that never comes up)."""

    def __init__(self, tmp: Path, secrets: Path) -> None:
        super().__init__(tmp)
        for name in ("tls.crt", "tls.key", "ca.pem"):
            self.put(f"/etc/inferplane/tls/{name}", secrets / name)
        curl = self.bin / "curl"
        curl.write_text(
            f'#!/bin/bash\nprintf "%s\\n" "curl $*" >> {self.log}\n'
            f"bad=$(cat {self.bin}/bad 2>/dev/null || true)\n"
            f"cur=$(readlink {self.root}/opt/inferplane/current || true)\n"
            'case "$*" in *127.0.0.1:18080/*) '
            '[ -n "$bad" ] && [ "${cur##*/}" = "$bad" ] && exit 7 ;; esac\nexit 0\n'
        )
        self.base = self.root / "opt/inferplane"

    def install(self, bundle: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        env = {"INFERPLANE_ROOT": str(self.root), "INFERPLANE_HEALTH_SECONDS": "0", **env}
        return self.run([str(bundle / "install.sh"), *args], **env)

    def current(self) -> str:
        return (self.base / "current").resolve().name

    def previous(self) -> str:
        return (self.base / "previous").resolve().name


@pytest.fixture
def site(tmp_path: Path, releases: tuple[Path, dict[str, Path]]) -> Site:
    return Site(tmp_path, releases[0])


def test_a_failing_model_server_rolls_back_to_the_previous_release(
    site: Site, releases: tuple[Path, dict[str, Path]]
) -> None:
    bundles = releases[1]
    v1, v2, v3 = (_digest(bundles[v]) for v in ("v1", "v2", "v3"))
    done = site.install(bundles["v1"], "systemd")
    assert done.returncode == 0, done.stderr
    assert f"install: release {v1} is live (systemd)" in done.stdout
    assert site.current() == v1
    assert "curl -fsS --max-time 5 http://127.0.0.1:18080/health" in site.calls()

    (site.bin / "bad").write_text(v2)
    site.log.write_text("")
    done = site.install(bundles["v2"], "systemd")
    assert done.returncode == 1
    assert f"release {v2}: not healthy within 0s" in done.stderr
    assert f"install: {v2} failed its health gate; rolled back to {v1}" in done.stdout
    assert site.current() == v1
    calls = site.calls()
    # v2 was handed to the runtime, then v1 again (unpacked, loaded, restarted) after it.
    loads = [c for c in calls if c.startswith("podman load")]
    assert [load.split("/releases/")[1].split("/")[0] for load in loads] == [v2, v1]
    restarts = [c for c in calls if c.startswith("systemctl restart")]
    assert (
        restarts
        == ["systemctl restart inferplane-model-llama-lab.service inferplane-router.service"] * 2
    )
    assert calls[-1] == "curl -fsS --max-time 5 http://127.0.0.1:18080/health"
    # v1 has no packed weights: v2's stay on disk (rollback restores files v1 lists).
    assert (site.root / "etc/inferplane/router.json").read_bytes() == (
        bundles["v1"] / "systemd/router.json"
    ).read_bytes()

    done = site.install(bundles["v3"], "systemd")
    assert done.returncode == 0, done.stderr
    assert (site.current(), site.previous()) == (v3, v1)

    done = site.install(bundles["v3"], "status")
    assert done.returncode == 0
    assert f"live:     {v3}" in done.stdout
    assert f"rollback: {v1}" in done.stdout
    assert f"install: release {v3} is live (systemd)" in done.stdout

    done = site.install(bundles["v3"], "rollback")
    assert done.returncode == 0, done.stderr
    assert f"rollback: release {v1} is live (systemd)" in done.stdout
    assert (site.current(), site.previous()) == (v1, v3)


def test_a_first_release_that_fails_has_nothing_to_return_to(
    site: Site, releases: tuple[Path, dict[str, Path]]
) -> None:
    bundle = releases[1]["v2"]
    (site.bin / "bad").write_text(_digest(bundle))
    done = site.install(bundle, "systemd")
    assert done.returncode == 1
    assert f"install: {_digest(bundle)} failed its health gate; no earlier release" in done.stdout
    done = site.install(bundle, "rollback")
    assert done.returncode == 1
    assert "no earlier release to roll back to" in done.stderr


def test_only_the_newest_releases_are_kept_but_never_the_rollback_target(
    site: Site, releases: tuple[Path, dict[str, Path]]
) -> None:
    bundles = releases[1]
    for version in ("v1", "v2", "v3"):
        done = site.install(bundles[version], "systemd", INFERPLANE_KEEP_RELEASES="1")
        assert done.returncode == 0, done.stderr
    kept = {p.name for p in (site.base / "releases").iterdir()}
    assert kept == {_digest(bundles["v3"]), _digest(bundles["v2"])}
    assert site.previous() == _digest(bundles["v2"])


def test_status_without_a_release(site: Site, releases: tuple[Path, dict[str, Path]]) -> None:
    done = site.install(releases[1]["v1"], "status")
    assert done.returncode == 1
    assert "no release installed under" in done.stdout


def test_the_readme_is_in_the_bundle_and_installed_where_the_unit_points(
    site: Site, releases: tuple[Path, dict[str, Path]]
) -> None:
    bundle = releases[1]["v1"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "README.md" in manifest["files"]
    assert manifest["install"]["readme"] == "README.md"
    readme = (bundle / "README.md").read_text()
    (opened,) = manifest["targets"][TARGET]["model_files"]
    for needed in (
        "site `austin-lab`",
        f"`{opened}`",
        "## Verify",
        "## Install",
        "## Update",
        "## Rollback and status",
        "## Offline model transfer",
        "## Troubleshooting",
        "install.sh rollback",
    ):
        assert needed in readme, needed
    done = site.install(bundle, "systemd")
    assert done.returncode == 0, done.stderr
    unit = (site.root / "etc/systemd/system/inferplane-router.service").read_text()
    (documentation,) = [line for line in unit.splitlines() if line.startswith("Documentation=")]
    installed = site.root / documentation.removeprefix("Documentation=file:///")
    assert installed.read_text() == readme
