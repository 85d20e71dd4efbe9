"""read_bundle on REAL bundles (the builder's output for the dev stack's austin-lab):
the digest, the checksums the site verifies, the install plan, and model-server images
checked against their pinned digests before anything is deployed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from inferplane.components.edge.bundle import Bundle, read_bundle
from tests.support.edgesite import (
    SiteBundle,
    build_site_bundle,
    dev_spec,
    fetch_images,
    pinned_image,
)
from tests.support.routersource import router_source


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteBundle, Bundle]:
    tmp = tmp_path_factory.mktemp("bundle")
    site_bundle = build_site_bundle(dev_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    return site_bundle, fetch_images(site_bundle, tmp / "fetch")


def _copy(built: tuple[SiteBundle, Bundle], tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(built[0].path, target)
    return target


def test_digest_is_the_manifests_sha256(built: tuple[SiteBundle, Bundle]) -> None:
    bundle = built[1]
    manifest = bundle.directory / "manifest.json"
    assert bundle.digest == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert bundle.digest == built[0].built.manifest_sha256
    listed = set(json.loads(manifest.read_text())["files"])
    fetched = {image.archive for image in bundle.plan.images}
    assert fetched == {
        "k3s/agent/images/model-llama-lab.tar",
        "k3s/agent/images/nvidia-device-plugin.tar",
    }
    assert {f.path for f in bundle.files} == listed | fetched
    assert bundle.has("k3s/agent/images")
    assert not bundle.has("k3s/agent/imag")


def test_checksums_cover_built_files_fetched_images_and_the_manifest(
    built: tuple[SiteBundle, Bundle],
) -> None:
    bundle = built[1]
    lines = bundle.checksums().splitlines()
    assert lines[-1] == f"{bundle.digest}  manifest.json"
    for path in ("k3s/registries.yaml", "k3s/agent/images/model-llama-lab.tar"):
        sha = hashlib.sha256((bundle.directory / path).read_bytes()).hexdigest()
        assert f"{sha}  {path}" in lines
    assert len(lines) == len(bundle.files) + 1


def test_the_plan_names_what_the_builder_wrote(built: tuple[SiteBundle, Bundle]) -> None:
    plan = built[1].plan
    assert plan.k3s_images == ("k3s/agent/images/inferplane-router.tar",)
    assert plan.k3s_registries == "k3s/registries.yaml"
    assert plan.systemd_units == (
        "systemd/inferplane-model-llama-lab.service",
        "systemd/inferplane-router.service",
    )
    assert plan.systemd_config == "systemd/router.json"
    assert plan.router_arches == ("amd64",)
    for path in plan.paths():
        assert (built[1].directory / path).is_file(), path


def test_unfetched_images_are_refused_with_how_to_fetch(
    built: tuple[SiteBundle, Bundle], tmp_path: Path
) -> None:
    copy = _copy(built, tmp_path)
    (copy / "k3s/agent/images/model-llama-lab.tar").unlink()
    with pytest.raises(ValueError, match=r"model-llama-lab.tar: missing \(run ./fetch-images.sh"):
        read_bundle(copy)


def test_an_image_that_is_not_the_pinned_one_is_refused(
    built: tuple[SiteBundle, Bundle], tmp_path: Path
) -> None:
    copy = _copy(built, tmp_path)
    other, digest = pinned_image(tmp_path, "impostor")
    shutil.copyfile(other, copy / "k3s/agent/images/model-llama-lab.tar")
    with pytest.raises(ValueError, match=re.escape(f"holds ['{digest}'], not the pinned")):
        read_bundle(copy)


def test_a_manifest_without_an_install_plan_is_refused(
    built: tuple[SiteBundle, Bundle], tmp_path: Path
) -> None:
    copy = _copy(built, tmp_path)
    document = json.loads((copy / "manifest.json").read_text())
    del document["install"]
    (copy / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="has no 'install' section; rebuild the bundle"):
        read_bundle(copy)


def test_a_plan_naming_unlisted_files_is_refused(
    built: tuple[SiteBundle, Bundle], tmp_path: Path
) -> None:
    copy = _copy(built, tmp_path)
    document = json.loads((copy / "manifest.json").read_text())
    document["install"]["systemd"]["units"].append("systemd/extra.service")
    (copy / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"install names files it does not list"):
        read_bundle(copy)


def _manifest(tmp_path: Path, files: object) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps({"files": files}))
    return tmp_path


SHA = "0" * 64


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "has no 'files' list"),
        ([{"path": "../etc/passwd", "size": 1, "sha256": SHA}], "is not a relative path inside"),
        ([{"path": "/etc/passwd", "size": 1, "sha256": SHA}], "is not a relative path inside"),
        ([{"path": "a b", "size": 1, "sha256": SHA}], "is not a relative path inside"),
        ([{"path": "a", "size": -1, "sha256": SHA}], "files[0].size -1 is not a byte count"),
        ([{"path": "a", "size": 1, "sha256": "xyz"}], "files[0].sha256 'xyz' is not 64 hex"),
        (
            [{"path": "missing.tar", "size": 1, "sha256": SHA}],
            "lists 'missing.tar', which is missing",
        ),
    ],
)
def test_bad_manifests_are_refused(tmp_path: Path, files: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        read_bundle(_manifest(tmp_path, files))


def test_size_mismatch_is_refused(built: tuple[SiteBundle, Bundle], tmp_path: Path) -> None:
    copy = _copy(built, tmp_path)
    size = (copy / "k3s/registries.yaml").stat().st_size
    (copy / "k3s/registries.yaml").write_bytes(b"truncated")
    with pytest.raises(
        ValueError, match=rf"'k3s/registries.yaml' is 9 bytes; manifest.json says {size}"
    ):
        read_bundle(copy)


def test_a_missing_bundle_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="build one with `inferplane edge build`"):
        read_bundle(tmp_path / "nowhere")
