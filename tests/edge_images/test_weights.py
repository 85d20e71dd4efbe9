"""Model weights as bundle content: packed into a real built bundle with sha256 and size
in the manifest, verified by the bundle's install.sh before anything is activated, and
checked against the site's free disk. Weight files are made here (no downloads)."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.edge.bundle import read_bundle
from inferplane.edge_images.weights import GIB, _fits, pack_model
from inferplane.errors import BuildError
from tests.support.edgesite import FakeSite, SiteBundle, build_site_bundle, resign, systemd_spec
from tests.support.routersource import router_source

TARGET = "llama-lab"


def gguf(path: Path, body: bytes = b"\x03\x00\x00\x00weights" * 64) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + body)
    return path


def safetensors(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    (directory / "model.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + b"\0" * 4
    )
    (directory / "config.json").write_text("{}")
    return directory


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    tmp = tmp_path_factory.mktemp("weights")
    bundle = build_site_bundle(systemd_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    shims = FakeSite(tmp / "shims", bundle.archives)
    assert shims.run([str(bundle.path / "fetch-images.sh")]).returncode == 0
    return bundle


def _expected(bundle: Path) -> str:
    manifest = json.loads((bundle / "manifest.json").read_text())
    (name,) = manifest["targets"][TARGET]["model_files"]
    return str(name)


@pytest.fixture
def packed(built: SiteBundle, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(built.path, copy)
    pack_model(copy, TARGET, gguf(tmp_path / "src" / _expected(copy)))
    resign(copy)  # pack-model drops the signature of the manifest it rewrote
    return copy


def _site(tmp: Path, built: SiteBundle) -> FakeSite:
    site = FakeSite(tmp / "fake")
    for name in ("tls.crt", "tls.key", "ca.pem"):
        site.put(f"/etc/inferplane/tls/{name}", built.built.secrets.directory / name)
    return site


def test_packed_weights_are_listed_with_sha256_and_size(packed: Path, tmp_path: Path) -> None:
    name = _expected(packed)
    manifest = json.loads((packed / "manifest.json").read_text())
    source = (tmp_path / "src" / name).read_bytes()

    path = f"models/{TARGET}/{name}"
    assert manifest["files"][path] == {
        "size": len(source),
        "sha256": hashlib.sha256(source).hexdigest(),
    }
    assert manifest["install"]["weights"] == {TARGET: {"files": [path], "bytes": len(source)}}
    assert read_bundle(packed).plan.weights[0].files == (path,)


def test_install_verifies_and_installs_the_weights(
    built: SiteBundle, packed: Path, tmp_path: Path
) -> None:
    site = _site(tmp_path, built)
    done = site.run([str(packed / "install.sh"), "systemd"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 0, done.stderr
    name = _expected(packed)
    assert site.files("/var/lib/inferplane/models") == {name}
    installed = site.root / "var/lib/inferplane/models" / name
    assert installed.read_bytes() == (tmp_path / "src" / name).read_bytes()


def test_a_tampered_weight_byte_is_refused_before_activation(
    built: SiteBundle, packed: Path, tmp_path: Path
) -> None:
    weight = packed / "models" / TARGET / _expected(packed)
    data = bytearray(weight.read_bytes())
    data[-1] ^= 0x01
    weight.write_bytes(bytes(data))
    site = _site(tmp_path, built)
    done = site.run([str(packed / "install.sh"), "systemd"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 1
    assert f"MISMATCH: models/{TARGET}/{_expected(packed)}: sha256 mismatch" in done.stderr
    assert site.files("/var/lib/inferplane/models") == set()
    assert not [c for c in site.calls() if c.startswith(("podman", "systemctl", "umoci"))]


def test_a_tampered_manifest_is_refused(built: SiteBundle, packed: Path, tmp_path: Path) -> None:
    manifest = json.loads((packed / "manifest.json").read_text())
    manifest["install"]["weights"][TARGET]["bytes"] += 1
    (packed / "manifest.json").write_text(json.dumps(manifest))
    site = _site(tmp_path, built)
    install = [str(packed / "install.sh"), "systemd"]
    done = site.run(install, INFERPLANE_ROOT=str(site.root))
    # The signature no longer matches the manifest: refused before any file is read.
    assert done.returncode == 1
    assert "SIGNATURE: manifest.json: the signature does not match the file" in done.stderr
    # Even when told to skip the signature, the file checks still refuse it.
    done = site.run([*install, "--allow-unsigned"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 1
    assert f"MISMATCH: weights of {TARGET}: files hold" in done.stderr
    entry = manifest["files"][f"models/{TARGET}/{_expected(packed)}"]
    entry["sha256"] = "0" * 64
    manifest["install"]["weights"][TARGET]["bytes"] -= 1
    (packed / "manifest.json").write_text(json.dumps(manifest))
    done = site.run([*install, "--allow-unsigned"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 1
    assert "sha256 mismatch" in done.stderr
    assert site.files("/var/lib/inferplane/models") == set()


def test_weights_that_do_not_fit_the_free_disk_are_refused(
    built: SiteBundle, packed: Path, tmp_path: Path
) -> None:
    site = _site(tmp_path, built)
    df = site.bin / "df"
    df.write_text(
        "#!/bin/sh\necho 'Filesystem 1024-blocks Used Available Capacity Mounted'\n"
        "echo '/dev/x 100 99 0 99% /'\n"
    )
    df.chmod(0o755)
    done = site.run([str(packed / "install.sh"), "systemd"], INFERPLANE_ROOT=str(site.root))
    assert done.returncode == 1
    size = (packed / "models" / TARGET / _expected(packed)).stat().st_size
    assert f"model weights need {size} bytes in" in done.stderr
    assert "the disk has 0 free: nothing activated" in done.stderr
    assert not [c for c in site.calls() if c.startswith(("podman", "systemctl"))]


def test_packing_is_reproducible_and_replaces_earlier_weights(
    built: SiteBundle, tmp_path: Path
) -> None:
    digests = []
    for run in ("a", "b"):
        copy = tmp_path / run
        shutil.copytree(built.path, copy)
        pack_model(copy, TARGET, gguf(tmp_path / "old" / _expected(copy), b"old"))
        digests.append(pack_model(copy, TARGET, gguf(tmp_path / "src" / _expected(copy))))
    assert digests[0] == digests[1]
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()
    assert (tmp_path / "a" / "install.sh").read_bytes() == (
        tmp_path / "b" / "install.sh"
    ).read_bytes()


def test_a_safetensors_directory_packs_with_its_side_files(
    built: SiteBundle, tmp_path: Path
) -> None:
    copy = tmp_path / "b"
    shutil.copytree(built.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["targets"][TARGET]["model_files"] = []  # a safetensors engine opens a directory
    (copy / "manifest.json").write_text(json.dumps(manifest))
    pack_model(copy, TARGET, safetensors(tmp_path / "llama"))
    packed = json.loads((copy / "manifest.json").read_text())["install"]["weights"][TARGET]
    assert packed["files"] == [
        f"models/{TARGET}/llama/config.json",
        f"models/{TARGET}/llama/model.safetensors",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "x.gguf").write_bytes(b"NOPE") and d / "x.gguf", "not a GGUF file"),
        (
            lambda d: (
                (d / "x.safetensors").write_bytes(struct.pack("<Q", 1 << 40))
                and d / "x.safetensors"
            ),
            "not a safetensors file (header length",
        ),
        (lambda d: (d / "notes.txt").write_text("hi") and d, "no .gguf or .safetensors file"),
    ],
)
def test_files_that_are_not_weights_are_refused(
    built: SiteBundle, tmp_path: Path, make: Callable[[Path], Any], message: str
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    with pytest.raises(BuildError, match=message.replace("(", r"\(")):
        pack_model(built.path, TARGET, make(source))


def test_a_file_the_server_does_not_open_is_refused(built: SiteBundle, tmp_path: Path) -> None:
    with pytest.raises(BuildError) as caught:
        pack_model(built.path, TARGET, gguf(tmp_path / "other.gguf"))
    assert f"server opens ['{_expected(built.path)}']" in str(caught.value)
    assert "the weights hold ['other.gguf']" in str(caught.value)


def test_an_unknown_target_is_refused(built: SiteBundle, tmp_path: Path) -> None:
    with pytest.raises(
        BuildError, match="target 'nope' is not in the bundle; its targets: llama-lab"
    ):
        pack_model(built.path, "nope", gguf(tmp_path / "x.gguf"))


def test_weights_must_fit_the_profile_disk_and_memory() -> None:
    _fits("cpu", {"a": {"bytes": 16 * GIB}})
    with pytest.raises(BuildError, match=r"do not fit profile 'cpu''s memory \(16 GiB\)"):
        _fits("cpu", {"a": {"bytes": 10 * GIB}, "b": {"bytes": 7 * GIB}})
    with pytest.raises(BuildError, match=r"profile 'x86-nvidia''s disk \(256 GiB\)"):
        _fits("x86-nvidia", {"a": {"bytes": 300 * GIB}})


def test_build_with_weights_is_byte_identical_to_build_then_pack(
    built: SiteBundle, tmp_path: Path
) -> None:
    name = _expected(built.path)
    source = gguf(tmp_path / "src" / name)
    secrets = built.built.secrets.directory
    spec = systemd_spec()
    one = build_site_bundle(
        spec, "dev", "austin-lab", router_source(), tmp_path / "one",
        weights={TARGET: source}, secrets=secrets,
    )  # fmt: skip
    two = build_site_bundle(
        spec, "dev", "austin-lab", router_source(), tmp_path / "two", secrets=secrets
    )
    pack_model(two.path, TARGET, source)
    assert not (two.path / "manifest.json.minisig").exists()
    resign(two.path)
    files = sorted(p.relative_to(one.path) for p in one.path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two.path) for p in two.path.rglob("*") if p.is_file())
    for relative in files:
        assert (one.path / relative).read_bytes() == (two.path / relative).read_bytes(), relative
    assert Path(f"models/{TARGET}/{name}") in files
    assert (
        one.built.manifest_sha256
        == hashlib.sha256((two.path / "manifest.json").read_bytes()).hexdigest()
    )


def test_install_sh_with_weights_passes_shellcheck(packed: Path) -> None:
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    done = subprocess.run(
        [checker, "--severity=info", str(packed / "install.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
