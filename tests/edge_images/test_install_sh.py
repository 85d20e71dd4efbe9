"""The bundle's own scripts, run for real: fetch-images.sh (skopeo shimmed) brings every
pinned image into the bundle; ``install.sh verify`` checks files and image digests;
``install.sh k3s|systemd`` (with ``INFERPLANE_ROOT``) puts every image, manifest and unit
where its runtime reads it, the same way the EdgeSite install does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from inferplane.components.edge.layout import ModelImage
from inferplane.edge_images.scripts import fetch_images_sh
from tests.support.edgesite import (
    FakeSite,
    SiteBundle,
    build_site_bundle,
    dev_spec,
    pinned_image,
    signing_key_file,
    systemd_spec,
)
from tests.support.routersource import router_source
from tests.support.tools import require_root, require_tool


def _operator() -> dict[str, str]:
    # The operator's machine: the signing key's public half, given explicitly.
    return {**os.environ, "INFERPLANE_TRUSTED_KEYS": str(signing_key_file().with_suffix(".pub"))}


def _fetched(tmp: Path, spec_name: str) -> tuple[SiteBundle, FakeSite]:
    spec = dev_spec() if spec_name == "dev" else systemd_spec()
    built = build_site_bundle(spec, "dev", "austin-lab", router_source(), tmp / "b")
    shims = FakeSite(tmp / "shims", built.archives)
    done = shims.run([str(built.path / "fetch-images.sh")])
    assert done.returncode == 0, done.stderr
    return built, shims


@pytest.fixture(scope="module")
def gpu(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    return _fetched(tmp_path_factory.mktemp("gpu"), "dev")[0]


@pytest.fixture(scope="module")
def cpu(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    return _fetched(tmp_path_factory.mktemp("cpu"), "systemd")[0]


def _site(tmp: Path, built: SiteBundle) -> FakeSite:
    site = FakeSite(tmp)
    for name in ("tls.crt", "tls.key", "ca.pem"):
        site.put(f"/etc/inferplane/tls/{name}", built.built.secrets.directory / name)
    return site


def test_fetched_images_are_listed_with_digests_and_verified(gpu: SiteBundle) -> None:
    manifest = json.loads((gpu.path / "manifest.json").read_text())
    images = manifest["install"]["images"]
    assert set(images) == {"model-llama-lab", "nvidia-device-plugin"}
    for name, entry in images.items():
        assert entry["archive"] == f"k3s/agent/images/{name}.tar"
        assert entry["ref"].endswith("@" + entry["digest"])
        assert (
            manifest["targets"].get(name.removeprefix("model-"), {}).get("image", entry["ref"])
            == entry["ref"]
        )
    done = subprocess.run(
        [str(gpu.path / "install.sh"), "verify"],
        capture_output=True,
        text=True,
        check=False,
        env=_operator(),
    )
    assert done.returncode == 0, done.stderr
    assert "bundle verified" in done.stdout


def test_verify_fails_on_an_image_that_is_not_the_pinned_one(
    gpu: SiteBundle, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(gpu.path, copy)
    impostor, digest = pinned_image(tmp_path, "impostor")
    shutil.copyfile(impostor, copy / "k3s/agent/images/model-llama-lab.tar")
    done = subprocess.run(
        [str(copy / "install.sh"), "verify"],
        capture_output=True,
        text=True,
        check=False,
        env=_operator(),
    )
    assert done.returncode == 1
    assert f"model-llama-lab.tar: holds ['{digest}'], not the pinned" in done.stderr


def test_verify_fails_on_an_unfetched_image(gpu: SiteBundle, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(gpu.path, copy)
    (copy / "k3s/agent/images/nvidia-device-plugin.tar").unlink()
    done = subprocess.run(
        [str(copy / "install.sh"), "k3s"],
        capture_output=True,
        text=True,
        check=False,
        env=_operator(),
    )
    assert done.returncode == 1
    assert "nvidia-device-plugin.tar: missing (run ./fetch-images.sh" in done.stderr


def test_install_sh_k3s_lands_every_image_and_manifest(gpu: SiteBundle, tmp_path: Path) -> None:
    site = _site(tmp_path, gpu)
    done = site.run([str(gpu.path / "install.sh"), "k3s"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 0, done.stderr
    assert site.files("/var/lib/rancher/k3s/agent/images") == {
        "inferplane-router.tar",
        "model-llama-lab.tar",
        "nvidia-device-plugin.tar",
    }
    assert site.files("/var/lib/rancher/k3s/server/manifests") == {
        "inferplane-router.yaml",
        "inferplane-model-llama-lab.yaml",
        "nvidia-device-plugin.yaml",
        "inferplane-router-tls.yaml",
    }
    assert site.files("/etc/rancher/k3s") == {"registries.yaml"}
    imports = [c for c in site.calls() if c.startswith("k3s ctr images import")]
    assert len(imports) == 3


def test_install_sh_systemd_loads_model_images_into_podman(cpu: SiteBundle, tmp_path: Path) -> None:
    site = _site(tmp_path, cpu)
    done = site.run([str(cpu.path / "install.sh"), "systemd"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 0, done.stderr
    assert site.files("/etc/systemd/system") == {
        "inferplane-model-llama-lab.service",
        "inferplane-router.service",
    }
    calls = site.calls()
    release = site.root / "opt/inferplane/releases" / cpu.built.manifest_sha256
    assert (site.root / "opt/inferplane/current").resolve() == release
    assert [c for c in calls if c.startswith("podman")] == [
        f"podman load --input {release}/k3s/agent/images/model-llama-lab.tar"
    ]
    assert any(c.startswith("umoci unpack --image") for c in calls)
    assert (site.root / "etc/inferplane/router.json").is_file()


def test_fetch_images_quotes_every_reference(tmp_path: Path) -> None:
    """A hostile reference (the grammar refuses it at build time; the script quotes it
    anyway) stays one argument and never runs."""
    marker = tmp_path / "pwned"
    digest = "sha256:" + "a" * 64
    hostile = ModelImage(
        "model-x",
        f"ghcr.io/x/$(touch {marker}):v1@{digest}",
        digest,
        "k3s/agent/images/model-x.tar",
    )
    script = tmp_path / "fetch-images.sh"
    script.write_text(fetch_images_sh((hostile,)))
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    shims = FakeSite(tmp_path / "shims")
    done = shims.run(["sh", str(script)])
    assert not marker.exists()
    assert done.returncode != 0  # the shim knows no such image
    assert f"docker://ghcr.io/x/$(touch {marker}):v1@{digest}" in shims.calls()[0]


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/x/$(touch /tmp/x):v1@sha256:" + "a" * 64,
        "ghcr.io/x/y:v1;reboot@sha256:" + "a" * 64,
        "ghcr.io/x/y:v1 --all@sha256:" + "a" * 64,
    ],
)
def test_the_image_grammar_refuses_shell_metacharacters(image: str) -> None:
    from inferplane.edge_images.profiles import DIGEST_REF

    assert DIGEST_REF.match(image) is None


def test_install_sh_passes_shellcheck(gpu: SiteBundle) -> None:
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    done = subprocess.run(
        [
            checker,
            "--severity=info",
            str(gpu.path / "install.sh"),
            str(gpu.path / "fetch-images.sh"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


@pytest.mark.slow
def test_a_bundle_with_the_real_router_image_installs_for_k3s_and_systemd(
    tmp_path: Path,
) -> None:
    """The full router image (base rootfs, wheels): the router archive k3s imports and the
    OCI layout umoci unpacks are the ones the installer names."""
    require_root()
    require_tool("debootstrap", "xorriso")
    built = build_site_bundle(
        dev_spec(), "dev", "austin-lab", router_source(), tmp_path / "b", real_router_image=True
    )
    shims = FakeSite(tmp_path / "shims", built.archives)
    assert shims.run([str(built.path / "fetch-images.sh")]).returncode == 0
    image = built.built.router_image
    assert image is not None
    k3s = _site(tmp_path / "k3s", built)
    done = k3s.run([str(built.path / "install.sh"), "k3s"], INFERPLANE_ROOT=str(k3s.root))
    assert done.returncode == 0, done.stderr
    assert "inferplane-router.tar" in k3s.files("/var/lib/rancher/k3s/agent/images")
    systemd = _site(tmp_path / "systemd", built)
    done = systemd.run(
        [str(built.path / "install.sh"), "systemd"], INFERPLANE_ROOT=str(systemd.root)
    )
    assert done.returncode == 0, done.stderr
    unpack = next(c for c in systemd.calls() if c.startswith("umoci unpack"))
    assert f"images/router-oci:{image.tag}-amd64 " in unpack
    index = json.loads((built.path / "images/router-oci/index.json").read_text())
    refs = {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]}
    assert f"{image.tag}-amd64" in refs  # what umoci unpack --image DIR:REF resolves
