"""The CLI end to end: user errors exit 2 with no traceback; plan --all --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from inferplane.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--stack", "nope"], "no stack 'nope'"),
        (["plan"], "exactly one of --stack NAME or --all"),
        (["plan", "--stack", "dev", "--all"], "exactly one of --stack NAME or --all"),
        (["router", "serve"], "exactly one of --stack NAME or --config FILE"),
        (["router", "serve", "--config", "/nonexistent.json"], "cannot read /nonexistent.json"),
    ],
)
def test_user_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_invalid_spec_names_key_path(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.bad.yaml").write_text(
        (ROOT / "stacks" / "Pulumi.dev.yaml")
        .read_text()
        .replace("        region: us-east-1", "        region: us-mars-1")
    )
    result = _cli("plan", "--stack", "bad", "--project", str(tmp_path))
    assert result.returncode == 2
    assert "targets.claude-haiku.region" in result.stderr
    assert "'us-mars-1'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_yaml(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text("config: [unclosed\n")
    result = _cli("plan", "--stack", "broken", "--project", str(tmp_path))
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


def test_no_project(tmp_path: Path) -> None:
    result = _cli("plan", "--stack", "dev", cwd=tmp_path)
    assert result.returncode == 2
    assert "no Pulumi.yaml" in result.stderr


def test_plan_all_writes_every_stacks_graph(tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    result = _cli("plan", "--all", "--no-tree", "--no-cost", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "offline synthesis" in result.stderr
    data = json.loads(out.read_text())
    stacks = {graph["stack"]: graph for graph in data["stacks"]}
    assert {"dev", "prod-us-east-1", "prod-eu-central-1"} <= set(stacks)
    for graph in stacks.values():
        for resource in graph["resources"]:
            assert {"type", "name", "parent", "inputs", "provider", "dependencies"} <= set(resource)
        assert any(r["type"] == "inferplane:index:RouterService" for r in graph["resources"])


def test_router_config_is_what_the_deployed_router_runs_with() -> None:
    result = _cli("router", "config", "--stack", "dev")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    # The dev router runs on Lambda in us-east-1: edge-only data may not pass through it.
    assert set(config["refused_data_classes"]) == {"restricted"}
    assert set(config["targets"]) == {"claude-haiku", "llama-lab"}
