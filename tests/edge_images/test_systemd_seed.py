"""systemd units pass ``systemd-analyze verify``; the NoCloud seed ISO is byte-identical
across runs and reads back (pycdlib) with label ``cidata`` and the three files."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pycdlib
import pytest
import yaml

from inferplane.edge_images import seed, systemd
from inferplane.edge_images.manifests import ModelServer
from inferplane.serving import render
from inferplane.spec.serving import Serving
from tests.support.tools import require_tool

IMAGE = "ghcr.io/ggml-org/llama.cpp:server-cuda@sha256:" + "b" * 64


def _server() -> ModelServer:
    serving = Serving(engine="llamacpp", quantization="q4_k_m")
    command = render("llama-3.1-8b-instruct", serving)
    return ModelServer("llama-lab", IMAGE, command, 1, "llamacpp", "llama-3.1-8b-instruct")


@pytest.mark.parametrize("gpu", [True, False])
def test_units_pass_systemd_analyze_verify(tmp_path: Path, gpu: bool) -> None:
    # ExecStart binaries must exist for verify to pass: podman runs the model server.
    require_tool("systemd-analyze", "podman")
    server = _server()
    model_unit = tmp_path / systemd.unit_name(server)
    model_unit.write_text(systemd.model_server_unit(server, 18080, gpu))
    router_unit = tmp_path / systemd.ROUTER_UNIT
    router_unit.write_text(systemd.router_unit("/usr/bin/python3", [model_unit.name]))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(router_unit), str(model_unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert ("--device=nvidia.com/gpu=all" in model_unit.read_text()) is gpu
    assert "--publish=127.0.0.1:18080:8080" in model_unit.read_text()


def _seed_files() -> dict[str, str]:
    user_data = seed.user_data(
        "austin-lab-edge",
        {"/etc/inferplane/router.json": "{}\n", "/etc/systemd/system/x.service": "[Unit]\n"},
        enable=["x.service"],
        start=["x.service"],
    )
    return {
        "user-data": user_data,
        "meta-data": seed.meta_data("austin-lab", "austin-lab-edge", user_data),
        "network-config": seed.network_config(),
    }


def test_seed_iso_is_byte_identical_and_reads_back(tmp_path: Path) -> None:
    require_tool("xorriso")
    files = _seed_files()
    seed.write_seed_iso(files, tmp_path / "one.iso")
    seed.write_seed_iso(files, tmp_path / "two.iso")
    assert (tmp_path / "one.iso").read_bytes() == (tmp_path / "two.iso").read_bytes()
    iso = pycdlib.PyCdlib()
    iso.open(str(tmp_path / "one.iso"))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "cidata"
        for name, text in files.items():
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, rr_path=f"/{name}")
            assert out.getvalue().decode() == text
    finally:
        iso.close()


def test_user_data_is_cloud_config_that_writes_and_starts_units() -> None:
    text = _seed_files()["user-data"]
    assert text.startswith("#cloud-config\n")
    data = yaml.safe_load(text)
    assert [f["path"] for f in data["write_files"]] == [
        "/etc/inferplane/router.json",
        "/etc/systemd/system/x.service",
    ]
    assert ["systemctl", "enable", "x.service"] in data["runcmd"]
    meta = yaml.safe_load(_seed_files()["meta-data"])
    assert meta["instance-id"].startswith("inferplane-austin-lab-")


def test_seed_must_have_exactly_the_nocloud_files(tmp_path: Path) -> None:
    from inferplane.errors import BuildError

    with pytest.raises(BuildError, match="exactly meta-data, network-config, user-data"):
        seed.write_seed_iso({"user-data": ""}, tmp_path / "x.iso")
