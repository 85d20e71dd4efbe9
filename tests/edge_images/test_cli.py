from __future__ import annotations

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
