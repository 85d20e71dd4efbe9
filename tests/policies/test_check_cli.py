"""``inferplane check`` end to end on the fixture project: a compliant stack (good) and a
deliberately non-compliant one (bad), planned offline or read from a graph file."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.policies.support import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = FIXTURES / "project"
BAD_GRAPH = FIXTURES / "bad-graph.json"
EXPECTED_BAD = {
    "IP-CAP-005",
    "IP-RES-001",
    "IP-RES-002",
    "IP-RES-005",
    "IP-RES-006",
    "IP-SAF-001",
    "IP-SAF-002",
    "IP-SAF-003",
    "IP-SAF-004",
    "IP-SAF-005",
    "IP-SAF-007",
}


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    from inferplane.cli import main

    monkeypatch.setattr(sys, "argv", ["inferplane", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    code = exit_info.value.code
    return int(code or 0), capsys.readouterr().out


def json_report(capsys, monkeypatch, *args: str) -> tuple[int, dict]:
    code, out = run(
        capsys, monkeypatch, "check", "--project", str(PROJECT), "--format", "json", *args
    )
    return code, json.loads(out)


def rule_ids(report: dict, status: str | None = None) -> set[str]:
    return {
        f["rule_id"]
        for s in report["stacks"]
        for f in s["findings"]
        if status in (None, f["status"])
    }


def test_bad_stack_fails_with_the_expected_rules(capsys, monkeypatch) -> None:
    code, report = json_report(capsys, monkeypatch, "--stack", "bad")
    assert code == 1
    assert rule_ids(report) == EXPECTED_BAD
    assert rule_ids(report, "advisory") == {"IP-SAF-007"}


def test_good_stack_is_clean(capsys, monkeypatch) -> None:
    code, report = json_report(capsys, monkeypatch, "--stack", "good")
    assert code == 0
    assert report["summary"]["violations"] == 0
    assert rule_ids(report) == set()


def test_all_stacks(capsys, monkeypatch) -> None:
    code, report = json_report(capsys, monkeypatch, "--all")
    assert code == 1
    assert [s["stack"] for s in report["stacks"]] == ["bad", "good"]


def test_graph_file_from_plan_json(capsys, monkeypatch) -> None:
    code, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH))
    assert code == 1
    assert rule_ids(report) == EXPECTED_BAD


def test_table_is_the_default(capsys, monkeypatch) -> None:
    code, out = run(
        capsys, monkeypatch, "check", "--project", str(PROJECT), "--graph", str(BAD_GRAPH)
    )
    assert code == 1
    assert "IP-RES-006" in out
    assert "FAILED" in out


def waiver_file(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(json.dumps({"waivers": entries}))
    return path


def waiver(rule: str, resource: str, expires: str = "2099-01-01") -> dict:
    return {
        "rule": rule,
        "resource": resource,
        "reason": "test",
        "approver": "jane",
        "expires": expires,
    }


def test_waived_findings_are_reported_and_pass(capsys, monkeypatch, tmp_path) -> None:
    blocking = EXPECTED_BAD - {"IP-SAF-007"}
    path = waiver_file(tmp_path, [waiver(r, "*") for r in sorted(blocking)])
    code, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path)
    )
    assert code == 0
    assert rule_ids(report, "waived") == blocking
    assert all(
        f["waiver"]["approver"] == "jane"
        for s in report["stacks"]
        for f in s["findings"]
        if f["status"] == "waived"
    )


def test_waiver_by_urn_glob_and_by_name(capsys, monkeypatch, tmp_path) -> None:
    path = waiver_file(
        tmp_path,
        [
            waiver("IP-SAF-004", "llama-fleet-lt"),
            waiver("IP-SAF-004", "urn:pulumi:bad::*::llama-fleet-asg"),
        ],
    )
    _, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path))
    saf4 = [f for s in report["stacks"] for f in s["findings"] if f["rule_id"] == "IP-SAF-004"]
    assert len(saf4) == 2
    assert {f["status"] for f in saf4} == {"waived"}
    assert report["waivers"] == []


def test_expired_waiver_fails_and_waives_nothing(capsys, monkeypatch, tmp_path) -> None:
    blocking = EXPECTED_BAD - {"IP-SAF-007", "IP-SAF-001"}
    entries = [waiver(r, "*") for r in sorted(blocking)] + [
        waiver("IP-SAF-001", "router-url", "2020-01-01")
    ]
    code, report = json_report(
        capsys,
        monkeypatch,
        "--graph",
        str(BAD_GRAPH),
        "--waivers",
        str(waiver_file(tmp_path, entries)),
    )
    assert code == 1
    assert rule_ids(report, "violation") == {"IP-SAF-001"}
    assert [w["problem"] for w in report["waivers"]] == ["expired"]


def test_unused_waiver_is_reported(capsys, monkeypatch, tmp_path) -> None:
    path = waiver_file(tmp_path, [waiver("IP-CAP-001", "nothing-like-this")])
    code, report = json_report(capsys, monkeypatch, "--stack", "good", "--waivers", str(path))
    assert code == 0
    assert report["waivers"][0]["problem"] == "unused"
    assert report["summary"]["unused_waivers"] == 1


def test_policy_config_changes_enforcement(capsys, monkeypatch, tmp_path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(
        "rules:\n" + "".join(f"  {r}: {{enforcement: advisory}}\n" for r in sorted(EXPECTED_BAD))
    )
    code, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--policy-config", str(path)
    )
    assert code == 0
    assert rule_ids(report, "advisory") == EXPECTED_BAD


@pytest.mark.parametrize("fmt", ["sarif", "junit", "json", "table"])
def test_output_file(capsys, monkeypatch, tmp_path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    code, _ = run(
        capsys,
        monkeypatch,
        "check",
        "--project",
        str(PROJECT),
        "--graph",
        str(BAD_GRAPH),
        "--format",
        fmt,
        "--output",
        str(out),
    )
    assert code == 1
    text = out.read_text()
    if fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    elif fmt == "junit":
        assert ET.fromstring(text).tag == "testsuites"
    elif fmt == "json":
        assert json.loads(text)["exit_code"] == 1
    else:
        assert "IP-RES-001" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--stack", "good", "--all"],
        [],
        ["--stack", "nope"],
        ["--stack", "good", "--format", "xml"],
        ["--graph", str(BAD_GRAPH), "--stack", "good"],
        ["--graph", str(FIXTURES / "missing.json")],
    ],
    ids=[
        "stack-and-all",
        "neither",
        "unknown-stack",
        "bad-format",
        "graph-and-stack",
        "missing-graph",
    ],
)
def test_usage_errors_exit_2(capsys, monkeypatch, args: list[str]) -> None:
    code, _ = run(capsys, monkeypatch, "check", "--project", str(PROJECT), *args)
    assert code == 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("org.yaml", "zones: {eu: {regions: {mars: [x]}}}\n"),
        ("org.yaml", "rules: {IP-XXX-001: {enforcement: advisory}}\n"),
        ("org.yaml", "commitments: {min_forecast_utilisation: 2}\n"),
        ("org.yaml", "[not, a, mapping]\n"),
        ("waivers.yaml", "waivers: [{rule: IP-RES-001, resource: x}]\n"),
    ],
)
def test_invalid_config_files_exit_2(capsys, monkeypatch, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    option = "--waivers" if name == "waivers.yaml" else "--policy-config"
    code, _ = run(
        capsys,
        monkeypatch,
        "check",
        "--project",
        str(PROJECT),
        "--graph",
        str(BAD_GRAPH),
        option,
        str(path),
    )
    assert code == 2


def test_docs_rules_prints_the_catalogue(capsys, monkeypatch) -> None:
    code, out = run(capsys, monkeypatch, "docs", "rules")
    assert code == 0
    assert out == (ROOT / "docs" / "policy-rules.md").read_text()
