"""The OCI writer on small synthetic images: deterministic, and accepted by skopeo and
umoci (the real router image is built in test_router_image.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from inferplane.packaging.oci import (
    AMD64,
    ARM64,
    INDEX,
    MANIFEST,
    REF_NAME,
    ImageConfig,
    Layout,
    write_archive,
)
from inferplane.packaging.tarball import Entry
from tests.support.tools import require_tool


def _build(path: Path) -> Layout:
    layout = Layout.create(path)
    manifests = []
    for plat in (AMD64, ARM64):
        base = layout.add_layer(
            [Entry.file("etc/os-release", f"ID=test\nARCH={plat.architecture}\n".encode())],
            comment="base",
        )
        app = layout.add_layer([Entry.file("opt/app/run.sh", b"#!/bin/sh\necho hi\n", 0o755)])
        config = ImageConfig(entrypoint=("/opt/app/run.sh",), env=("A=1",), user="65532:65532")
        manifests.append(layout.add_image(plat, [base, app], config))
    index = layout.add_index(manifests)
    layout.write_index({"v1": index, "v1-amd64": manifests[0], "v1-arm64": manifests[1]})
    return layout


def _digests(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_same_inputs_give_the_same_layout_and_archive(tmp_path: Path) -> None:
    one, two = _build(tmp_path / "one"), _build(tmp_path / "two")
    assert _digests(one.path) == _digests(two.path)
    write_archive(one.path, tmp_path / "one.tar")
    write_archive(two.path, tmp_path / "two.tar")
    assert (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()


def test_blobs_are_named_by_their_digest_and_the_index_names_refs(tmp_path: Path) -> None:
    layout = _build(tmp_path / "img")
    for blob in layout.blobs.iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    index = json.loads((layout.path / "index.json").read_text())
    refs = {m["annotations"][REF_NAME]: m for m in index["manifests"]}
    assert refs["v1"]["mediaType"] == INDEX
    assert refs["v1-arm64"]["mediaType"] == MANIFEST
    assert refs["v1-arm64"]["platform"] == {"architecture": "arm64", "os": "linux", "variant": "v8"}
    nested = json.loads((layout.blobs / refs["v1"]["digest"].split(":")[1]).read_text())
    assert [m["platform"]["architecture"] for m in nested["manifests"]] == ["amd64", "arm64"]


def test_layer_gzip_header_carries_no_time_or_name(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "img")
    layer = layout.add_layer([Entry.file("x", b"x")])
    blob = (layout.blobs / layer.descriptor.digest.split(":")[1]).read_bytes()
    assert blob[:2] == b"\x1f\x8b"
    assert blob[4:8] == b"\0\0\0\0"  # MTIME
    assert blob[3] & 0x08 == 0  # no FNAME


@pytest.mark.parametrize("ref", ["v1", "v1-amd64", "v1-arm64"])
def test_skopeo_inspects_each_ref(tmp_path: Path, ref: str) -> None:
    require_tool("skopeo")
    layout = _build(tmp_path / "img")
    result = subprocess.run(
        ["skopeo", "inspect", "--override-arch", "arm64", f"oci:{layout.path}:{ref}"],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)
    expected_arch = "amd64" if ref == "v1-amd64" else "arm64"
    assert info["Architecture"] == expected_arch
    assert info["Env"] == ["A=1"]
    assert len(info["Layers"]) == 2


def test_skopeo_reads_the_archive(tmp_path: Path) -> None:
    require_tool("skopeo")
    layout = _build(tmp_path / "img")
    write_archive(layout.path, tmp_path / "img.tar")
    result = subprocess.run(
        ["skopeo", "inspect", f"oci-archive:{tmp_path / 'img.tar'}:v1-amd64"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["Architecture"] == "amd64"


def test_umoci_unpacks_a_platform_manifest(tmp_path: Path) -> None:
    require_tool("umoci")
    layout = _build(tmp_path / "img")
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{layout.path}:v1-arm64", str(bundle)],
        capture_output=True,
        text=True,
        check=True,
    )
    rootfs = bundle / "rootfs"
    assert (rootfs / "etc/os-release").read_text() == "ID=test\nARCH=arm64\n"
    assert (rootfs / "opt/app/run.sh").stat().st_mode & 0o777 == 0o755
    runtime = json.loads((bundle / "config.json").read_text())
    assert runtime["process"]["args"] == ["/opt/app/run.sh"]
