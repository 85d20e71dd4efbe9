"""Whole bundles from the repository's stacks: same inputs, same bytes; the manifest
lists every file with its size and sha256; the GPU pieces appear only on GPU profiles;
an unpinned model-server image is refused with the way to pin it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from inferplane.edge_images.bundle import Bundle, BundleInputs, build_bundle
from inferplane.errors import BuildError
from inferplane.packaging import default_cache
from inferplane.spec import StackSpec, load_stack
from tests.support.edgesite import TEST_SIGNED_AT, signing_key_file
from tests.support.routersource import router_source
from tests.support.tools import require_root, require_tool

ROOT = Path(__file__).resolve().parents[2]
JETSON_IMAGE = "docker.io/dustynv/llama_cpp:r36.4.0@sha256:" + "c" * 64
"""A digest made up for the test: nothing here can resolve the real one."""


def _spec(stack: str) -> StackSpec:
    return load_stack(ROOT, stack).spec


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("router-src")
    shutil.copytree(
        router_source() / "router", root / "router", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def _inputs(source: Path, stack: str, site: str, **more: Any) -> BundleInputs:
    return BundleInputs(
        spec=_spec(stack),
        stack=stack,
        site=site,
        source_root=source,
        cache=default_cache(ROOT),
        **more,
    )


def test_unpinned_model_server_image_is_refused_with_how_to_pin(
    source: Path, tmp_path: Path
) -> None:
    with pytest.raises(BuildError, match=r"--image llama-plant=repo:tag@sha256:<digest>"):
        build_bundle(_inputs(source, "prod-eu-central-1", "munich-plant"), tmp_path / "b")


def test_profile_must_match_the_site(source: Path, tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="runs profile 'x86-nvidia'"):
        build_bundle(_inputs(source, "dev", "austin-lab", profile="cpu"), tmp_path / "b")


@pytest.fixture(scope="module")
def dev_bundles(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, Bundle]:
    require_root()
    require_tool("debootstrap", "xorriso")
    out = tmp_path_factory.mktemp("bundles")
    # The same site secrets for both (the key hash is in router.json).
    # Signed, as a release is: Ed25519 is deterministic, so the signature is the same too
    # (at a fixed signing time: the default, today, would differ across midnight).
    inputs = _inputs(
        source,
        "dev",
        "austin-lab",
        secrets=out / "secrets",
        signing_key=signing_key_file(),
        signed_at=TEST_SIGNED_AT,
    )
    return build_bundle(inputs, out / "one"), build_bundle(inputs, out / "two")


@pytest.mark.slow
def test_same_inputs_give_the_same_bundle(dev_bundles: tuple[Bundle, Bundle]) -> None:
    one, two = dev_bundles
    assert one.manifest_sha256 == two.manifest_sha256
    assert one.files == two.files
    for relative in one.files:
        assert (one.path / relative).read_bytes() == (two.path / relative).read_bytes(), relative
    assert one.signed_by is not None
    signature = "manifest.json.minisig"
    assert (one.path / signature).read_bytes() == (two.path / signature).read_bytes()


@pytest.mark.slow
def test_manifest_lists_every_file_with_size_and_sha256(dev_bundles: tuple[Bundle, Bundle]) -> None:
    bundle = dev_bundles[0]
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    on_disk = sorted(
        p.relative_to(bundle.path).as_posix()
        for p in bundle.path.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "manifest.json.minisig")
    )
    assert sorted(manifest["files"]) == on_disk
    for relative, entry in manifest["files"].items():
        data = (bundle.path / relative).read_bytes()
        assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert manifest["profile"] == "x86-nvidia"
    assert manifest["arches"] == ["amd64"]
    assert manifest["router_image"]["manifests"].keys() == {"amd64"}
    # The images fetch-images.sh brings are listed with their pinned digests.
    images = manifest["install"]["images"]
    assert set(images) == {"model-llama-lab", "nvidia-device-plugin"}
    assert images["model-llama-lab"]["ref"] == manifest["targets"]["llama-lab"]["image"]
    assert bundle.router_image is not None
    assert manifest["install"]["systemd"]["router_oci_tag"] == bundle.router_image.tag


@pytest.mark.slow
def test_gpu_site_gets_device_plugin_runtime_class_and_pinned_images(
    dev_bundles: tuple[Bundle, Bundle],
) -> None:
    bundle = dev_bundles[0]
    files = set(bundle.files)
    assert {
        "k3s/agent/images/inferplane-router.tar",
        "k3s/server/manifests/inferplane-router.yaml",
        "k3s/server/manifests/inferplane-model-llama-lab.yaml",
        "k3s/server/manifests/nvidia-device-plugin.yaml",
        "k3s/registries.yaml",
        "systemd/inferplane-router.service",
        "systemd/inferplane-model-llama-lab.service",
        "systemd/router.json",
        "seed/seed.iso",
        "seed/user-data",
        "install.sh",
        "fetch-images.sh",
    } <= files
    router_yaml = (bundle.path / "k3s/server/manifests/inferplane-router.yaml").read_text()
    assert bundle.router_image is not None
    assert bundle.router_image.reference() in router_yaml
    model_yaml = (bundle.path / "k3s/server/manifests/inferplane-model-llama-lab.yaml").read_text()
    assert "runtimeClassName: nvidia" in model_yaml
    assert "@sha256:" in model_yaml
    host_config = json.loads((bundle.path / "systemd/router.json").read_text())
    assert host_config["targets"]["llama-lab"]["url"] == "http://127.0.0.1:18080/v1"
    assert list(host_config["targets"]) == ["llama-lab"]  # only the site's own targets


@pytest.mark.slow
def test_jetson_bundle_with_a_pinned_image_is_arm64(source: Path, tmp_path: Path) -> None:
    require_root()
    require_tool("debootstrap", "xorriso")
    inputs = _inputs(
        source, "prod-eu-central-1", "munich-plant", images={"llama-plant": JETSON_IMAGE}
    )
    bundle = build_bundle(inputs, tmp_path / "jetson")
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert manifest["arches"] == ["arm64"]
    assert manifest["l4t_base"] == "nvcr.io/nvidia/l4t-jetpack:r36.4.0"
    assert manifest["targets"]["llama-plant"]["image"] == JETSON_IMAGE
    assert "k3s/server/manifests/nvidia-device-plugin.yaml" in bundle.files


@pytest.mark.slow
def test_apple_bundle_is_native_with_launchd_plists(source: Path, tmp_path: Path) -> None:
    import plistlib

    spec = _spec("dev")
    lab = spec.targets["llama-lab"].model_copy(update={"profile": "apple-m"})
    spec = spec.model_copy(update={"targets": {**spec.targets, "llama-lab": lab}})
    inputs = BundleInputs(
        spec=spec, stack="dev", site="austin-lab", source_root=source, cache=default_cache(ROOT)
    )
    bundle = build_bundle(inputs, tmp_path / "mac")
    assert not any(p.startswith(("k3s/", "seed/", "images/")) for p in bundle.files)
    plist = plistlib.loads(
        (bundle.path / "macos/launchd/io.inferplane.model.llama-lab.plist").read_bytes()
    )
    assert plist["ProgramArguments"][0] == "/opt/homebrew/bin/llama-server"
    assert "/opt/inferplane/models/llama-3.1-8b-instruct.q4_k_m.gguf" in plist["ProgramArguments"]
    assert any(p.startswith("macos/wheels/pydantic_core-") and "macosx" in p for p in bundle.files)
    install = json.loads((bundle.path / "manifest.json").read_text())["install"]
    assert install["launchd"] == {
        "plists": [
            "macos/launchd/io.inferplane.model.llama-lab.plist",
            "macos/launchd/io.inferplane.router.plist",
        ],
        "python": "python3.12",
    }
    router = plistlib.loads((bundle.path / "macos/launchd/io.inferplane.router.plist").read_bytes())
    assert router["ProgramArguments"][-4:] == [
        "--tls-cert",
        "/etc/inferplane/tls/tls.crt",
        "--tls-key",
        "/etc/inferplane/tls/tls.key",
    ]
