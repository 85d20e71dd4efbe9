from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferplane.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["edge", "build", "--stack", "dev", "--site", "mars", "--out", "x"],
            "its edge sites: austin-lab",
        ),
        (
            [
                "edge",
                "build",
                "--stack",
                "dev",
                "--site",
                "austin-lab",
                "--out",
                "x",
                "--image",
                "nope",
            ],
            "expected TARGET=repo:tag@sha256:<digest>",
        ),
        (["package", "router", "--out", "x", "--arch", "riscv64"], "allowed are amd64, arm64"),
    ],
)
def test_user_errors_name_the_problem(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in str(result.exception)


def test_weights_option_needs_target_and_path() -> None:
    result = runner.invoke(
        app,
        ["edge", "build", "--stack", "dev", "--site", "austin-lab", "--out", "x", "--weights", "x"],
    )
    assert result.exit_code != 0
    assert "expected TARGET=PATH" in str(result.exception)


def test_pack_model_without_a_bundle_says_build_first(tmp_path: Path) -> None:
    weights = tmp_path / "m.gguf"
    weights.write_bytes(b"GGUF")
    result = runner.invoke(
        app,
        ["edge", "pack-model", "--bundle", str(tmp_path / "nope"), "--target", "t", str(weights)],
    )
    assert result.exit_code != 0
    assert f"no edge bundle at {tmp_path / 'nope'}" in str(result.exception)
