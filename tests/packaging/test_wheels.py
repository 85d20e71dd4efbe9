from __future__ import annotations

import base64
import shutil
import zipfile
from pathlib import Path

import pytest

from inferplane.errors import BuildError
from inferplane.packaging import lambda_entry, wheels
from inferplane.packaging.wheels import Target, download_wheels, install_wheels, lock_text


def test_lock_text_is_normalised_and_refuses_unpinned_lines(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("# deps\nZeta==1.0\n\nalpha==2.0  # why\n")
    assert lock_text(lock) == "alpha==2.0\nZeta==1.0\n"
    lock.write_text("alpha>=2\n")
    with pytest.raises(BuildError, match="not pinned"):
        lock_text(lock)


@pytest.mark.parametrize(
    ("target", "tags"),
    [
        (Target("amd64", "3.12"), ("manylinux_2_28_x86_64", "manylinux2014_x86_64")),
        (Target("arm64", "3.11"), ("manylinux_2_28_aarch64", "manylinux2014_aarch64")),
        (Target("arm64", "3.12", os="macos"), ("macosx_14_0_arm64",)),
    ],
)
def test_platform_tags(target: Target, tags: tuple[str, ...]) -> None:
    assert target.platforms == tags


def test_unknown_platform_is_an_error() -> None:
    with pytest.raises(BuildError, match="no wheels for macos/amd64"):
        _ = Target("amd64", "3.12", os="macos").platforms


def test_install_unpacks_purelib_and_platlib_and_drops_scripts(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "x = 1\n")
        archive.writestr("demo-1.0.data/platlib/demo_native.so", b"\x7fELF")
        archive.writestr("demo-1.0.data/scripts/demo", "#!python\n")
        archive.writestr("demo-1.0.dist-info/RECORD", "")
    install_wheels([wheel], tmp_path / "site")
    found = sorted(
        p.relative_to(tmp_path / "site").as_posix()
        for p in (tmp_path / "site").rglob("*")
        if p.is_file()
    )
    assert found == ["demo-1.0.dist-info/RECORD", "demo/__init__.py", "demo_native.so"]


def test_cached_wheels_are_not_downloaded_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("six==1.17.0\n")
    target = Target("amd64", "3.12")
    first = download_wheels(target, cache, lock)  # downloads on the first run only
    calls: list[Target] = []
    monkeypatch.setattr(wheels, "_pip_download", lambda t, *_: calls.append(t))
    second = download_wheels(target, cache, lock)
    assert [p.name for p in first] == ["six-1.17.0-py2.py3-none-any.whl"]
    assert first == second
    assert calls == []
    # A damaged cache entry is refused, not used.
    damaged = tmp_path / "cache" / "wheels" / first[0].parent.name
    shutil.copytree(first[0].parent, damaged)
    (damaged / first[0].name).write_bytes(b"changed")
    with pytest.raises(BuildError, match="damaged"):
        download_wheels(target, tmp_path / "cache", lock)


def test_function_url_event_becomes_request_parts() -> None:
    event = {
        "rawPath": "/v1/chat/completions",
        "headers": {"Content-Type": "application/json", "X-Inferplane-Data-Class": "internal"},
        "requestContext": {"http": {"method": "post", "path": "/v1/chat/completions"}},
        "body": base64.b64encode(b'{"a":1}').decode(),
        "isBase64Encoded": True,
    }
    method, path, headers, body = lambda_entry.to_request_parts(event)
    assert (method, path, body) == ("POST", "/v1/chat/completions", b'{"a":1}')
    assert headers == {"content-type": "application/json", "x-inferplane-data-class": "internal"}
