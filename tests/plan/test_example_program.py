"""examples/own-program: a user's own Pulumi program built from ``inferplane.components``,
with its own project name and no ``inferplane:spec``. ``plan`` and ``check`` take it as it
is, and its URNs carry its project name, so a waiver written for it matches."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from inferplane.policies.offline import NO_SPEC_NOTE
from tests.conftest import ROOT
from tests.support.cli import run_cli

EXAMPLE = ROOT / "examples" / "own-program"

US_PROFILE = """
us = Bedrock(
    "us-profile",
    BedrockArgs(
        region=region,
        model_id=models["chat"],
        labels=labels.for_target("us-profile", "internal"),
        name_prefix="dev-us-profile",
        inference="geo",
        geography="us",
    ),
)
"""
US_POLICY_URN = (
    "urn:pulumi:dev::acme-inference::inferplane:aws:Bedrock$aws:iam/policy:Policy"
    "::us-profile-invoke"
)


def test_plan_runs_the_program_under_its_own_project_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_file = tmp_path / "graph.json"
    code, out, err = run_cli(
        ["plan", "--project", str(EXAMPLE), "--stack", "dev", "--json", str(graph_file)],
        monkeypatch,
        capsys,
    )
    assert code == 0, out + err
    graph = json.loads(graph_file.read_text())
    assert graph["project"] == "acme-inference"
    urns = {r["urn"] for r in graph["resources"]}
    assert {urn.split("::")[1] for urn in urns} == {"acme-inference"}
    assert {urn.rsplit("::", 1)[1] for urn in urns} == {
        "chat",
        "embed",
        "chat-invoke",
        "embed-invoke",
    }
    assert set(graph["stack_outputs"]) >= {"chat_model", "embed_invoke_policy"}


def test_check_passes_without_a_spec(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["check", "--project", str(EXAMPLE), "--stack", "dev", "--format", "json"],
        monkeypatch,
        capsys,
    )
    assert code == 0, out + err
    report = json.loads(out)
    (stack,) = report["stacks"]
    assert stack["findings"] == []
    assert stack["notes"] == [NO_SPEC_NOTE]


def test_a_waiver_names_the_projects_urn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "own-program"
    shutil.copytree(EXAMPLE, project)
    program = project / "__main__.py"
    program.write_text(program.read_text() + US_PROFILE)
    args = ["check", "--project", str(project), "--stack", "dev", "--format", "json"]

    code, out, _ = run_cli(args, monkeypatch, capsys)
    assert code == 1
    findings = json.loads(out)["stacks"][0]["findings"]
    assert {(f["rule_id"], f["urn"]) for f in findings} == {("IP-RES-002", US_POLICY_URN)}

    expires = dt.date.today() + dt.timedelta(days=30)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - rule: IP-RES-002\n"
        "    stack: dev\n"
        f"    resource: {US_POLICY_URN}\n"
        "    reason: the US profile is approved for internal data (ticket 42)\n"
        "    approver: jane.doe\n"
        f"    expires: {expires.isoformat()}\n"
    )
    code, out, err = run_cli([*args, "--waivers", str(waivers)], monkeypatch, capsys)
    assert code == 0, out + err
    report = json.loads(out)
    assert report["summary"]["waived"] == 1
    assert report["summary"]["unused_waivers"] == 0
