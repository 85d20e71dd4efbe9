"""The four ops commands through the real CLI entry point (exit codes included)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    return tmp_path


def test_recommend_writes_stack_and_cost_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = str(_project(tmp_path))
    code, out, _ = run_cli(
        [
            "recommend",
            "--volume",
            "variable",
            "--rps",
            "2",
            "--restricted-share",
            "0.5",
            "--write-stack",
            "starter",
            "--project",
            project,
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "recommended: hybrid" in out
    assert "valid stack spec" in out
    assert (tmp_path / "stacks" / "Pulumi.starter.yaml").is_file()
    code, out, _ = run_cli(
        ["cost", "--stack", "starter", "--format", "json", "--project", project],
        monkeypatch,
        capsys,
    )
    assert code == 0
    (stack,) = json.loads(out)["stacks"]
    assert stack["stack"] == "starter"
    assert {i["target"] for i in stack["items"]} >= {"edge-llm", "serverless-llm", "router"}


def test_recommend_json_and_requirements_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "req.yaml"
    path.write_text("capability: frontier\nvolume: steady\nrps: 30\n")
    code, out, _ = run_cli(
        ["recommend", "--requirements", str(path), "--rps", "5", "--format", "json"],
        monkeypatch,
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["architecture"] == "managed_api"
    assert data["requirements"]["rps"] == 5  # flags override the file
    assert [r["id"] for r in data["rules"]] == ["frontier-capability", "model-by-task"]


def test_invalid_requirements_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["recommend", "--volume", "lumpy"], monkeypatch, capsys)
    assert code == 2
    assert "invalid requirements: volume" in err
    assert "'lumpy'" in err
