"""``inferplane edge build`` checks every program it runs before any work, and keeps its
cache under the project (or the user's cache directory), never inside the package."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import inferplane
from inferplane.edge_images import host_tools
from inferplane.edge_images.bundle import BundleInputs, build_bundle
from inferplane.errors import BuildError
from inferplane.packaging import CACHE_ENV, default_cache
from inferplane.packaging.rootfs import host_arch
from inferplane.spec import load_stack
from tests.conftest import ROOT
from tests.support.cli import run_cli

JETSON_SITE = ("prod-eu-central-1", "munich-plant")
"""An arm64 (jetson-orin) site: on an amd64 host its base is a foreign architecture."""


def _inputs(stack: str, site: str, cache: Path) -> BundleInputs:
    spec = load_stack(ROOT, stack).spec
    return BundleInputs(spec=spec, stack=stack, site=site, source_root=ROOT, cache=cache)


def _named(error: BuildError) -> set[str]:
    """The programs the error names as missing."""
    return set(re.findall(r"^  (\S+) \(Debian package", str(error), re.MULTILINE))


def test_every_missing_tool_is_named_in_one_error_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # nothing is installed
    out = tmp_path / "bundle"
    with pytest.raises(BuildError) as error:
        build_bundle(_inputs(*JETSON_SITE, tmp_path / "cold-cache"), out)
    foreign = host_arch() != "arm64"
    expected = {"openssl", "xorriso", "debootstrap"} | ({"dpkg-deb"} if foreign else set())
    assert _named(error.value) == expected
    packages = "debootstrap dpkg openssl xorriso" if foreign else "debootstrap openssl xorriso"
    hint = "tools/debian-tools.sh (as root) in a checkout, or: sudo apt-get install -y"
    assert str(error.value).endswith(f"install them with {hint} {packages}")
    assert ("root (debootstrap" in str(error.value)) is (os.geteuid() != 0)
    assert not out.exists()  # nothing was built or replaced
    assert not (tmp_path / "cold-cache").exists()


def test_a_cached_base_needs_no_debootstrap(tmp_path: Path) -> None:
    base = _inputs(*JETSON_SITE, tmp_path).base
    cache = tmp_path / "cache"
    (cache / "layers" / base.key("arm64")).mkdir(parents=True)
    (cache / "layers" / base.key("arm64") / "layer.json").write_text("{}")
    assert host_tools.needed(("arm64",), True, base, cache) == (
        host_tools.OPENSSL,
        host_tools.XORRISO,
    )
    assert not host_tools.needs_root(("arm64",), True, base, cache)
    assert host_tools.needed(("arm64",), False, base, tmp_path / "cold") == (host_tools.OPENSSL,)


def test_debian_tools_script_installs_every_package_the_build_needs() -> None:
    script = (ROOT / "tools" / "debian-tools.sh").read_text()
    [listed] = re.findall(r"^packages=\((.*)\)$", script, re.MULTILINE)
    tools = (host_tools.OPENSSL, host_tools.XORRISO, host_tools.DEBOOTSTRAP, host_tools.DPKG_DEB)
    assert {t.package for t in tools} <= set(listed.split())


def test_cache_is_beside_the_project_then_the_user_cache_never_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    package = Path(inferplane.__file__).resolve().parent
    assert default_cache(project) == project / "build" / "cache"
    assert default_cache() == tmp_path / "xdg" / "inferplane"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache() == tmp_path / "home" / ".cache" / "inferplane"
    for found in (default_cache(project), default_cache()):
        assert package not in found.resolve().parents
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "ci-cache"))
    assert default_cache(project) == default_cache() == tmp_path / "ci-cache"


def test_edge_build_uses_the_projects_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inferplane.edge_images import bundle

    monkeypatch.delenv(CACHE_ENV, raising=False)
    seen: list[BundleInputs] = []

    def capture(inputs: BundleInputs, out: Path, progress: object = None) -> object:
        seen.append(inputs)
        raise BuildError("captured")

    monkeypatch.setattr(bundle, "build_bundle", capture)
    stack, site = JETSON_SITE
    args = ["edge", "build", "--project", str(ROOT), "--stack", stack, "--site", site]
    code, _, err = run_cli([*args, "--out", str(tmp_path / "b")], monkeypatch, capsys)
    assert (code, "captured" in err) == (2, True)
    assert [i.cache for i in seen] == [ROOT / "build" / "cache"]
