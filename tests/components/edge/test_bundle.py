from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from components.edge.bundle import read_bundle
from tests.components.edge.bundles import FILES, write_bundle


def test_digest_is_the_manifests_sha256(tmp_path: Path) -> None:
    bundle = read_bundle(write_bundle(tmp_path))
    assert bundle.digest == hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    assert [f.path for f in bundle.files] == sorted(FILES)
    assert bundle.has("agent/images")
    assert not bundle.has("agent/imag")


def test_any_changed_byte_changes_the_digest(tmp_path: Path) -> None:
    first = read_bundle(write_bundle(tmp_path / "a")).digest
    same = read_bundle(write_bundle(tmp_path / "b")).digest
    changed = read_bundle(
        write_bundle(tmp_path / "c", {**FILES, "registries.yaml": b"mirrors: {x: {}}\n"})
    ).digest
    assert first == same
    assert first != changed


def test_checksums_are_sha256sum_lines(tmp_path: Path) -> None:
    bundle = read_bundle(write_bundle(tmp_path))
    lines = bundle.checksums().splitlines()
    assert lines[-1] == f"{bundle.digest}  manifest.json"
    assert f"{hashlib.sha256(FILES['registries.yaml']).hexdigest()}  registries.yaml" in lines


def test_files_may_be_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"x")
    sha = hashlib.sha256(b"x").hexdigest()
    (tmp_path / "manifest.json").write_text(
        json.dumps({"files": {"a.txt": {"size": 1, "sha256": sha}}})
    )
    assert [f.path for f in read_bundle(tmp_path).files] == ["a.txt"]


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


def test_size_mismatch_is_refused(tmp_path: Path) -> None:
    write_bundle(tmp_path)
    (tmp_path / "registries.yaml").write_bytes(b"truncated")
    with pytest.raises(ValueError, match=r"'registries.yaml' is 9 bytes; manifest.json says 12"):
        read_bundle(tmp_path)


def test_a_missing_bundle_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="build one with `inferplane edge build`"):
        read_bundle(tmp_path / "nowhere")
