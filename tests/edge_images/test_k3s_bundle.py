"""k3s itself in the bundle: the binary, airgap images and install script taken from a
local directory, each checked against its pinned sha256 (a mismatch refuses the build),
listed in manifest.json, verified by ``install.sh verify`` and installed by
``install.sh k3s``. The files are generated stand-ins and the table is a TEST-ONLY
override (``BundleInputs.k3s_releases``): the real ones are not downloadable here."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from inferplane.edge_images.k3s import DEFAULT_K3S, K3S_RELEASES, K3sFile, K3sRelease, pack_k3s
from inferplane.errors import BuildError
from tests.support.edgesite import (
    FakeSite,
    SiteBundle,
    build_site_bundle,
    dev_spec,
    signing_key_file,
)
from tests.support.routersource import router_source

VERSION = "v1.34.2+k3s1"


def _standins(directory: Path) -> tuple[Path, dict[str, K3sRelease]]:
    """Stand-in files under upstream names and a TEST-ONLY table pinning their sums."""
    directory.mkdir(parents=True, exist_ok=True)
    bodies = {
        "k3s": b"#!/bin/sh\necho stand-in k3s amd64\n",
        "k3s-arm64": b"#!/bin/sh\necho stand-in k3s arm64\n",
        "k3s-airgap-images-amd64.tar.zst": b"\x28\xb5\x2f\xfd stand-in airgap amd64",
        "k3s-airgap-images-arm64.tar.zst": b"\x28\xb5\x2f\xfd stand-in airgap arm64",
        "install.sh": b'#!/bin/sh\necho "k3s-install $INSTALL_K3S_SKIP_DOWNLOAD" >> "$LOG"\n',
    }
    sums = {}
    for name, body in bodies.items():
        (directory / name).write_bytes(body)
        sums[name] = hashlib.sha256(body).hexdigest()
    upstream = K3S_RELEASES[DEFAULT_K3S]
    release = K3sRelease(
        version=VERSION,
        checked="TEST ONLY: generated stand-ins",
        binaries={a: K3sFile(f.name, sums[f.name]) for a, f in upstream.binaries.items()},
        airgap={a: K3sFile(f.name, sums[f.name]) for a, f in upstream.airgap.items()},
        install_script=K3sFile("install.sh", sums["install.sh"]),
    )
    return directory, {VERSION: release}


def test_the_table_pins_every_file_with_an_upstream_url() -> None:
    release = K3S_RELEASES[DEFAULT_K3S]
    for pinned in (*release.binaries.values(), *release.airgap.values()):
        assert pinned.sha256 is not None
        assert len(pinned.sha256) == 64
        assert release.url(pinned.name) == (
            f"https://github.com/k3s-io/k3s/releases/download/v1.34.2%2Bk3s1/{pinned.name}"
        )


def test_a_file_that_does_not_match_its_pin_refuses_the_build(tmp_path: Path) -> None:
    source, table = _standins(tmp_path / "k3s")
    (source / "k3s-airgap-images-amd64.tar.zst").write_bytes(b"something else")
    with pytest.raises(BuildError, match=r"k3s-airgap-images-amd64.tar.zst: sha256 [0-9a-f]{64} "):
        pack_k3s(source, tmp_path / "out", ("amd64",), VERSION, releases=table)


def test_real_pins_refuse_stand_in_files(tmp_path: Path) -> None:
    source, _ = _standins(tmp_path / "k3s")
    with pytest.raises(BuildError, match=r"is not k3s v1.34.2\+k3s1's 15811d34"):
        pack_k3s(source, tmp_path / "out", ("amd64",))


def test_missing_files_and_unknown_versions_say_what_to_fetch(tmp_path: Path) -> None:
    source, table = _standins(tmp_path / "k3s")
    (source / "k3s").unlink()
    with pytest.raises(BuildError, match=r"lacks k3s; fetch them .*download/v1\.34\.2%2Bk3s1/k3s"):
        pack_k3s(source, tmp_path / "out", ("amd64",), VERSION, releases=table)
    with pytest.raises(BuildError, match=r"'v9.9.9\+k3s1' has no pinned sums; allowed: v1.34"):
        pack_k3s(source, tmp_path / "out", ("amd64",), "v9.9.9+k3s1", releases=table)


@pytest.fixture(scope="module")
def with_k3s(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    tmp = tmp_path_factory.mktemp("k3s")
    source, table = _standins(tmp / "k3s-files")
    built = build_site_bundle(
        dev_spec(),
        "dev",
        "austin-lab",
        router_source(),
        tmp / "b",
        more={"k3s_dir": source, "k3s_version": VERSION, "k3s_releases": table},
    )
    assert FakeSite(tmp / "shims", built.archives).run([str(built.path / "fetch-images.sh")])
    return built


def test_k3s_files_are_in_the_manifest_and_the_plan(with_k3s: SiteBundle) -> None:
    manifest = json.loads((with_k3s.path / "manifest.json").read_text())
    runtime = manifest["install"]["k3s"]["runtime"]
    assert runtime == {
        "version": VERSION,
        "binaries": {"amd64": "k3s/bin/k3s-amd64"},
        "airgap": {"amd64": "k3s/agent/images/k3s-airgap-images-amd64.tar.zst"},
        "install_script": "k3s/install/install.sh",
    }
    for path in ("k3s/bin/k3s-amd64", runtime["airgap"]["amd64"], "k3s/install/install.sh"):
        data = (with_k3s.path / path).read_bytes()
        assert manifest["files"][path] == {
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }


def _site(tmp: Path, built: SiteBundle) -> FakeSite:
    site = FakeSite(tmp)
    for name in ("tls.crt", "tls.key", "ca.pem"):
        site.put(f"/etc/inferplane/tls/{name}", built.built.secrets.directory / name)
    return site


def test_install_sh_k3s_installs_k3s_from_the_bundle(with_k3s: SiteBundle, tmp_path: Path) -> None:
    site = _site(tmp_path, with_k3s)
    # systemctl is-active k3s fails: k3s is not running yet, so its installer runs.
    (site.bin / "systemctl").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "systemctl $*" >> {site.log}\n'
        '[ "$1" = is-active ] && exit 3\nexit 0\n'
    )
    done = site.run(
        [str(with_k3s.path / "install.sh"), "k3s"],
        INFERPLANE_ROOT=str(site.root),
        INFERPLANE_HEALTH_SECONDS="0",
        LOG=str(site.log),
    )
    assert done.returncode == 0, done.stderr
    binary = site.root / "usr/local/bin/k3s"
    assert binary.read_bytes() == (with_k3s.path / "k3s/bin/k3s-amd64").read_bytes()
    assert binary.stat().st_mode & 0o777 == 0o755
    assert site.files("/var/lib/rancher/k3s/agent/images") == {
        "k3s-airgap-images-amd64.tar.zst",
        "inferplane-router.tar",
        "model-llama-lab.tar",
        "nvidia-device-plugin.tar",
    }
    calls = site.calls()
    assert "k3s-install true" in calls
    # k3s is installed before any image is imported into it.
    first_import = next(i for i, c in enumerate(calls) if c.startswith("k3s ctr images import"))
    assert calls.index("k3s-install true") < first_import


def test_a_tampered_k3s_binary_is_refused(with_k3s: SiteBundle, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(with_k3s.path, copy)
    (copy / "k3s/bin/k3s-amd64").write_bytes(b"#!/bin/sh\necho evil\n")
    site = _site(tmp_path, with_k3s)
    done = site.run([str(copy / "install.sh"), "k3s"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 1
    assert "MISMATCH: k3s/bin/k3s-amd64: sha256 mismatch" in done.stderr
    assert not (site.root / "usr/local/bin/k3s").exists()


def test_every_file_after_fetch_images_is_listed_and_verified(with_k3s: SiteBundle) -> None:
    """fetch-images.sh adds only the archives install.images pins by digest; every other
    file is in manifest.json's files; only the signature is outside both."""
    manifest = json.loads((with_k3s.path / "manifest.json").read_text())
    on_disk = {
        p.relative_to(with_k3s.path).as_posix() for p in with_k3s.path.rglob("*") if p.is_file()
    }
    fetched = {e["archive"] for e in manifest["install"]["images"].values()}
    assert fetched == {
        "k3s/agent/images/model-llama-lab.tar",
        "k3s/agent/images/nvidia-device-plugin.tar",
    }
    assert on_disk == set(manifest["files"]) | fetched | {"manifest.json", "manifest.json.minisig"}
    env = {"INFERPLANE_TRUSTED_KEYS": str(signing_key_file().with_suffix(".pub"))}
    done = FakeSite(with_k3s.path.parent / "verify").run(
        [str(with_k3s.path / "install.sh"), "verify"], **env
    )
    assert done.returncode == 0, done.stderr
    assert f"bundle verified: {len(manifest['files']) + len(fetched)} files and images" in (
        done.stdout
    )


def test_install_sh_with_k3s_passes_shellcheck(with_k3s: SiteBundle) -> None:
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    done = subprocess.run(
        [checker, "--severity=info", str(with_k3s.path / "install.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
