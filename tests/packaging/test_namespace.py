"""One namespace (issue 14): the wheel and the editable install put the repository's
top-level folders under ``inferplane.`` and install nothing named ``components``,
``router``, ``policies`` or ``edge_images`` at the top of site-packages."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAPPED = ("components", "router", "policies", "edge_images")


def _pip(*args: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        check=True,
        timeout=600,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT), cwd=out)
    (path,) = out.glob("inferplane-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_installs_only_the_inferplane_namespace(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"inferplane"}


def test_every_folder_is_in_the_wheel_under_the_namespace(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder in MAPPED:
        expected = {
            f"inferplane/{p.relative_to(ROOT).as_posix()}"
            for p in (ROOT / folder).rglob("*.py")
            if "__pycache__" not in p.parts
        }
        assert expected <= names, sorted(expected - names)[:5]
    # Data the code reads beside itself.
    assert "inferplane/policies/PulumiPolicy.yaml" in names
    assert "inferplane/components/aws/converse_handler.py" in names
    assert "inferplane/packaging/router-requirements.txt" in names


def test_the_editable_install_resolves_the_namespace(tmp_path: Path) -> None:
    """``make setup``'s ``pip install -e .`` into a fresh venv that borrows this venv's
    dependencies: the namespace imports from the checkout, the old top-level names don't."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # Plain path entries (no .pth processing): this venv's old editable finder stays out.
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "-q",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-e",
            str(ROOT),
        ],
        check=True,
        timeout=600,
        capture_output=True,
        cwd=tmp_path,
    )
    probe = (
        "import importlib.util, json\n"
        "import inferplane.components.base, inferplane.router.core, inferplane.policies.engine\n"
        "import inferplane.edge_images.bundle\n"
        "mods = [inferplane.components.base, inferplane.router.core,"
        " inferplane.policies.engine, inferplane.edge_images.bundle]\n"
        "old = [n for n in ('components', 'router', 'policies', 'edge_images')"
        " if importlib.util.find_spec(n) is not None]\n"
        "print(json.dumps({'files': [m.__file__ for m in mods], 'old': old}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [python, "-I", "-c", probe],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["old"] == []
    for path in report["files"]:
        assert Path(path).resolve().is_relative_to(ROOT.resolve()), path
