"""``inferplane check`` end to end on the fixture project: a compliant stack (good) and a
deliberately non-compliant one (bad), planned offline or read from a graph file."""

from __future__ import annotations

import datetime as dt
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
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
# Planned now, the bad stack's router also refuses every unlabelled request (its default
# class is edge-only): IP-RES-008. The stored graph predates the current RouterConfig, so
# there IP-RES-006 reports the config unreadable and IP-RES-008 cannot judge it.
EXPECTED_BAD_PLANNED = EXPECTED_BAD | {"IP-RES-008"}


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    from inferplane.cli import main

    monkeypatch.setattr(sys, "argv", ["inferplane", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    code = exit_info.value.code
    captured = capsys.readouterr()
    LAST_ERR[:] = [captured.err]
    return int(code or 0), captured.out


LAST_ERR: list[str] = [""]
"""What the last ``run`` printed on stderr (the error message of a usage error)."""


def check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """``inferplane check --project <the fixture project> ARGS``."""
    return run(capsys, monkeypatch, "check", "--project", str(PROJECT), *args)


def json_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, dict[str, Any]]:
    code, out = check(capsys, monkeypatch, "--format", "json", *args)
    return code, json.loads(out)


def rule_ids(report: dict[str, Any], status: str | None = None) -> set[str]:
    return {
        f["rule_id"]
        for s in report["stacks"]
        for f in s["findings"]
        if status in (None, f["status"])
    }


def test_bad_stack_fails_with_the_expected_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report = json_report(capsys, monkeypatch, "--stack", "bad")
    assert code == 1
    assert rule_ids(report) == EXPECTED_BAD_PLANNED
    assert rule_ids(report, "advisory") == {"IP-SAF-007", "IP-RES-008"}


def test_good_stack_is_clean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report = json_report(capsys, monkeypatch, "--stack", "good")
    assert code == 0
    assert report["summary"]["violations"] == 0
    assert rule_ids(report) == set()


def test_all_stacks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = json_report(capsys, monkeypatch, "--all")
    assert code == 1
    assert [s["stack"] for s in report["stacks"]] == ["bad", "good"]


def test_graph_file_from_plan_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH))
    assert code == 1
    assert rule_ids(report) == EXPECTED_BAD


def test_table_is_the_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = check(capsys, monkeypatch, "--graph", str(BAD_GRAPH))
    assert code == 1
    assert "IP-RES-006" in out
    assert "FAILED" in out


def waiver_file(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(json.dumps({"waivers": entries}))
    return path


SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def waiver(
    rule: str, resource: str | None, expires: str = SOON, stack: str = "bad"
) -> dict[str, Any]:
    entry = {"rule": rule, "stack": stack, "reason": "test", "approver": "jane", "expires": expires}
    if resource is not None:
        entry["resource"] = resource
    return entry


def blocking_findings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    _, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH))
    return [f for s in report["stacks"] for f in s["findings"] if f["status"] == "violation"]


def test_waived_findings_are_reported_and_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found = blocking_findings(capsys, monkeypatch)
    path = waiver_file(tmp_path, [waiver(f["rule_id"], f["resource_name"]) for f in found])
    code, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path)
    )
    assert code == 0
    assert rule_ids(report, "waived") == EXPECTED_BAD - {"IP-SAF-007"}
    assert all(
        f["waiver"]["approver"] == "jane"
        for s in report["stacks"]
        for f in s["findings"]
        if f["status"] == "waived"
    )


def test_waiver_by_urn_and_by_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asg = next(
        f["urn"]
        for f in blocking_findings(capsys, monkeypatch)
        if f["rule_id"] == "IP-SAF-004" and f["resource_name"] == "llama-fleet-asg"
    )
    path = waiver_file(
        tmp_path, [waiver("IP-SAF-004", "llama-fleet-lt"), waiver("IP-SAF-004", asg)]
    )
    _, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path))
    saf4 = [f for s in report["stacks"] for f in s["findings"] if f["rule_id"] == "IP-SAF-004"]
    assert len(saf4) == 2
    assert {f["status"] for f in saf4} == {"waived"}
    assert report["waivers"] == []


def test_waiver_of_another_stack_waives_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = waiver_file(tmp_path, [waiver("IP-SAF-004", "llama-fleet-lt", stack="good")])
    _, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path))
    assert "IP-SAF-004" in rule_ids(report, "violation")
    assert [w["problem"] for w in report["waivers"]] == ["unused"]


def test_expired_waiver_fails_and_waives_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found = blocking_findings(capsys, monkeypatch)
    entries = [
        waiver(f["rule_id"], f["resource_name"]) for f in found if f["rule_id"] != "IP-SAF-001"
    ]
    entries.append(waiver("IP-SAF-001", "router-url", "2020-01-01"))
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


def test_unused_waiver_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = waiver_file(tmp_path, [waiver("IP-CAP-001", "nothing-like-this", stack="good")])
    code, report = json_report(capsys, monkeypatch, "--stack", "good", "--waivers", str(path))
    assert code == 0
    assert report["waivers"][0]["problem"] == "unused"
    assert report["summary"]["unused_waivers"] == 1


FAR = (dt.date.today() + dt.timedelta(days=150)).isoformat()


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (waiver("IP-SAF-004", "*"), "waivers.0.resource"),
        (waiver("IP-SAF-004", "urn:pulumi:bad::*::llama-fleet-asg"), "waivers.0.resource"),
        (waiver("IP-SAF-004", "llama-fleet-lt", stack="*"), "waivers.0.stack"),
        (
            {k: v for k, v in waiver("IP-SAF-004", "llama-fleet-lt").items() if k != "stack"},
            "waivers.0.stack",
        ),
        (waiver("IP-SAF-004", "llama-fleet-lt", expires=FAR), "waivers[0].expires"),
        (waiver("IP-SAF-004", None), "waivers[0].resource"),
    ],
)
def test_broad_or_long_waivers_fail_the_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    entry: dict[str, Any],
    key: str,
) -> None:
    # Each of these passed on the old pack (globs, no stack, any expiry).
    path = waiver_file(tmp_path, [entry])
    code, _ = check(
        capsys,
        monkeypatch,
        "--graph",
        str(BAD_GRAPH),
        "--waivers",
        str(path),
    )
    assert code == 2
    assert key.replace(".0.", "[0].") in LAST_ERR[0].replace("\n", "")


def test_stack_level_waiver_names_a_stack_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = waiver_file(tmp_path, [waiver("IP-RES-007", None)])
    _, report = json_report(capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path))
    assert [w["problem"] for w in report["waivers"]] == ["unused"]


def test_org_policy_sets_the_longest_waiver(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("waiver_max_days: 200\n")
    path = waiver_file(tmp_path, [waiver("IP-SAF-004", "llama-fleet-lt", expires=FAR)])
    _, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--waivers", str(path),
        "--policy-config", str(org),
    )  # fmt: skip
    assert "IP-SAF-004" in rule_ids(report, "waived")


CRITICAL_BAD = {"IP-RES-001", "IP-RES-002", "IP-RES-006", "IP-SAF-001"}


def org_file(tmp_path: Path, rules: set[str]) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(
        "rules:\n" + "".join(f"  {r}: {{enforcement: advisory}}\n" for r in sorted(rules))
    )
    return path


def test_policy_config_changes_enforcement_of_non_critical_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = org_file(tmp_path, EXPECTED_BAD - CRITICAL_BAD)
    code, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--policy-config", str(path)
    )
    assert code == 1
    assert rule_ids(report, "advisory") == EXPECTED_BAD - CRITICAL_BAD
    assert rule_ids(report, "violation") == CRITICAL_BAD


@pytest.mark.parametrize("how", ["flag", "env"])
def test_unpinned_org_file_cannot_downgrade_a_critical_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    # Old main: a file (also one named by INFERPLANE_POLICY_CONFIG) made them advisory.
    path = org_file(tmp_path, {"IP-SAF-001"})
    if how == "flag":
        code, _ = check(
            capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--policy-config", str(path)
        )
        assert code == 2
        assert "rules.IP-SAF-001.enforcement" in LAST_ERR[0].replace("\n", "")
    else:
        from inferplane.policies import crossguard

        crossguard._policy_from.cache_clear()
        monkeypatch.setenv(crossguard.POLICY_ENV, str(path))
        with pytest.raises(SpecError, match="IP-SAF-001"):
            crossguard.org_policy({})
        crossguard._policy_from.cache_clear()


def test_pinned_org_file_may_downgrade_a_critical_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import hashlib

    from inferplane.policies import config

    path = org_file(tmp_path, EXPECTED_BAD)
    pinned = tmp_path / "approved.txt"
    pinned.write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  org.yaml, jane\n")
    monkeypatch.setattr(config, "PINNED_FILE", pinned)
    code, report = json_report(
        capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--policy-config", str(path)
    )
    assert code == 0
    assert rule_ids(report, "advisory") == EXPECTED_BAD
    path.write_text(path.read_text() + "# edited after approval\n")
    code, _ = check(capsys, monkeypatch, "--graph", str(BAD_GRAPH), "--policy-config", str(path))
    assert code == 2


@pytest.mark.parametrize("fmt", ["sarif", "junit", "json", "table"])
def test_output_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"report.{fmt}"
    code, _ = check(
        capsys,
        monkeypatch,
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
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    code, _ = check(capsys, monkeypatch, *args)
    assert code == 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("org.yaml", "zones: {eu: {regions: {mars: [x]}}}\n"),
        ("org.yaml", "rules: {IP-XXX-001: {enforcement: advisory}}\n"),
        ("org.yaml", "commitments: {min_forecast_utilisation: 2}\n"),
        ("org.yaml", "[not, a, mapping]\n"),
        ("waivers.yaml", "waivers: [{rule: IP-RES-001, resource: x}]\n"),
        ("org.yaml", "public_endpoints_allowed: true\n"),
    ],
)
def test_invalid_config_files_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    text: str,
) -> None:
    path = tmp_path / name
    path.write_text(text)
    option = "--waivers" if name == "waivers.yaml" else "--policy-config"
    code, _ = check(
        capsys,
        monkeypatch,
        "--graph",
        str(BAD_GRAPH),
        option,
        str(path),
    )
    assert code == 2


def test_docs_rules_prints_the_catalogue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run(capsys, monkeypatch, "docs", "rules")
    assert code == 0
    assert out == (ROOT / "docs" / "policy-rules.md").read_text()
