"""Issue 18, reports: findings carry the spec key to change and what to change, in every
format; stack-level findings can be waived; JUnit names are unique and stable; a waiver
close to its end is reported as expiring (honouring ``--as-of``). Fixture: a real plan of
prod-us-east-1 cut to its GPU fleet, with a baseline no reservation covers (IP-CAP-005 on
the ASG) and two stack-level residency findings (IP-RES-007)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from inferplane.errors import SpecError
from inferplane.plan import Graph
from inferplane.policies.config import default_policy
from inferplane.policies.engine import Report, apply_waivers
from inferplane.policies.normalize import stack_from_graph
from inferplane.policies.report import render
from inferplane.policies.report.junit_report import case_names
from inferplane.policies.speckeys import entry_of, spec_path
from inferplane.policies.waivers import parse_waivers
from tests.policies.planned import check_graph_of, fleet_only, planned_once
from tests.support.stackfiles import stack_project, stack_text

AS_OF = dt.date(2027, 1, 10)


def edit(spec: dict[str, Any]) -> None:
    fleet_only(scaling={"min": 0, "max": 8, "desired": 2}, capacity=None, spot=None)(spec)
    spec["residency"]["regions"]["aws"].append("us-west-1")  # not in the org's us zone
    spec["data_classes"]["trade-secret"] = {"placement": "zone"}  # not an org class


def planned() -> tuple[Graph, Any, dict[str, str]]:
    return planned_once("reports fixture", "prod-us-east-1", edit)


def report() -> Report:
    graph, spec, regions = planned()
    return Report([check_graph_of(graph, spec, regions)])


def waiver(
    rule: str, resource: str | None = None, expires: dt.date | None = None
) -> dict[str, str]:
    entry = {
        "rule": rule,
        "stack": "case",
        "reason": "test",
        "approver": "jane",
        "expires": (expires or AS_OF + dt.timedelta(days=30)).isoformat(),
    }
    if resource is not None:
        entry["resource"] = resource
    return entry


def waived(*entries: dict[str, str], warning_days: int = 14) -> Report:
    accepted = parse_waivers({"waivers": list(entries)}, "w.yaml", today=AS_OF)
    return apply_waivers(report(), accepted, AS_OF, warning_days)


def statuses(result: Report) -> dict[tuple[str, str | None], set[str]]:
    found: dict[tuple[str, str | None], set[str]] = {}
    for f in result.findings:
        found.setdefault((f.rule.id, f.resource_name), set()).add(f.status)
    return found


def test_fixture_findings() -> None:
    findings = {(f.rule.id, f.resource_name, f.spec_path) for f in report().findings}
    assert findings == {
        ("IP-CAP-005", "llama-fleet-asg", "targets.llama-fleet.capacity"),
        ("IP-RES-007", None, "residency.regions.aws"),
        ("IP-RES-007", None, "data_classes.trade-secret"),
    }


# --- stack-level waivers -------------------------------------------------------------------

# (label, waiver entries, expected statuses, expected waiver notes)
WAIVER_CASES = [
    ("resource omitted waives the stack-level findings", [waiver("IP-RES-007")],
     {("IP-CAP-005", "llama-fleet-asg"): {"violation"}, ("IP-RES-007", None): {"waived"}}, []),
    ("resource '(stack)' as the reports print it", [waiver("IP-RES-007", "(stack)")],
     {("IP-CAP-005", "llama-fleet-asg"): {"violation"}, ("IP-RES-007", None): {"waived"}}, []),
    ("a stack-level waiver does not waive a resource finding", [waiver("IP-CAP-005")],
     {("IP-CAP-005", "llama-fleet-asg"): {"violation"}, ("IP-RES-007", None): {"violation"}},
     ["unused"]),
    ("the resource finding of a stack rule by name", [waiver("IP-CAP-005", "llama-fleet-asg")],
     {("IP-CAP-005", "llama-fleet-asg"): {"waived"}, ("IP-RES-007", None): {"violation"}}, []),
    ("a waiver of another stack", [{**waiver("IP-RES-007"), "stack": "other"}],
     {("IP-CAP-005", "llama-fleet-asg"): {"violation"}, ("IP-RES-007", None): {"violation"}},
     ["unused"]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "entries", "expected", "notes"), WAIVER_CASES,
                         ids=[c[0] for c in WAIVER_CASES])  # fmt: skip
def test_stack_level_waivers(
    label: str,
    entries: list[dict[str, str]],
    expected: dict[tuple[str, str | None], set[str]],
    notes: list[str],
) -> None:
    result = waived(*entries)
    assert statuses(result) == expected
    assert [n.problem for n in result.waiver_notes] == notes


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (waiver("IP-RES-007", "*"), "omit `resource` or write '(stack)'"),
        (waiver("IP-SAF-004"), "is a resource rule"),
        (waiver("IP-SAF-004", "(stack)"), "is a resource rule"),
    ],
    ids=["star is a pattern", "resource rule without resource", "resource rule at (stack)"],
)
def test_broad_stack_level_waivers_fail_the_file(entry: dict[str, str], words: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_waivers({"waivers": [entry]}, "w.yaml", today=AS_OF)
    assert words in str(error.value)


# --- expiring waivers ----------------------------------------------------------------------

# (label, days until expiry, warning days, expected notes as (problem, days_left))
EXPIRY = [
    ("3 days left", 3, 14, [("expiring", 3)]),
    ("last day today", 0, 14, [("expiring", 0)]),
    ("14 days left, default window", 14, 14, [("expiring", 14)]),
    ("20 days left", 20, 14, []),
    ("20 days left, 30-day window", 20, 30, [("expiring", 20)]),
    ("expired yesterday", -1, 14, [("expired", None)]),
]


@pytest.mark.parametrize(("label", "days", "window", "notes"), EXPIRY,
                         ids=[c[0] for c in EXPIRY])  # fmt: skip
def test_expiring_waivers(
    label: str, days: int, window: int, notes: list[tuple[str, int | None]]
) -> None:
    entry = waiver("IP-CAP-005", "llama-fleet-asg", AS_OF + dt.timedelta(days=days))
    result = waived(entry, warning_days=window)
    assert [(n.problem, n.days_left) for n in result.waiver_notes] == notes
    expired = days < 0
    assert result.exit_code == 1  # IP-RES-007 stays a violation either way
    assert (("IP-CAP-005", "llama-fleet-asg") in statuses(result)) is True
    assert statuses(result)[("IP-CAP-005", "llama-fleet-asg")] == (
        {"violation"} if expired else {"waived"}
    )


def test_org_policy_sets_the_warning_window() -> None:
    assert default_policy().waiver_warning_days == 14


# --- JUnit names ---------------------------------------------------------------------------


def junit_names(result: Report) -> list[str]:
    root = ET.fromstring(render(result, "junit"))
    return [c.get("name") or "" for c in root.iter("testcase")]


def test_junit_case_names_are_unique() -> None:
    names = junit_names(report())
    assert len(names) == len(set(names))
    res_007 = [n for n in names if n.startswith("IP-RES-007") and "[(stack)]" in n]
    assert sorted(res_007) == [
        "IP-RES-007 stack-residency-within-org-policy [(stack)] data_classes.trade-secret",
        "IP-RES-007 stack-residency-within-org-policy [(stack)] residency.regions.aws",
    ]


def test_junit_case_names_are_stable_under_reordering() -> None:
    result = report()
    stack = result.stacks[0]
    forward = dict(zip(case_names(stack), [f.key for f in stack.findings], strict=True))
    reversed_stack = dataclasses.replace(stack, findings=list(reversed(stack.findings)))
    backward = dict(
        zip(case_names(reversed_stack), [f.key for f in reversed_stack.findings], strict=True)
    )
    assert forward == backward


def test_junit_same_key_findings_get_a_digest() -> None:
    """Two findings of one rule on one resource with the same spec key differ by a digest
    of their message, not by their position."""
    result = report()
    stack = result.stacks[0]
    [finding] = [f for f in stack.findings if f.rule.id == "IP-CAP-005"]
    twin = dataclasses.replace(finding, message=finding.message + " (second)")
    doubled = dataclasses.replace(stack, findings=[finding, twin])
    names = case_names(doubled)
    assert len(set(names)) == 2
    assert all(" #" in n for n in names)
    assert case_names(dataclasses.replace(doubled, findings=[twin, finding])) == names[::-1]


# --- the spec key and the fix in every format ----------------------------------------------


def test_spec_key_helper() -> None:
    graph, spec, regions = planned()
    stack = stack_from_graph(graph, spec, regions)
    by_name = {r.name: r.urn for r in (*stack.components, *stack.resources)}
    assert entry_of(stack, by_name["llama-fleet-net-vpc"]) == "targets.llama-fleet"
    assert entry_of(stack, by_name["llama-fleet"]) == "targets.llama-fleet"
    assert entry_of(stack, by_name["router-fn-function"]) == "router"
    assert entry_of(stack, by_name["router-invoke"]) == "router"
    assert entry_of(stack, "urn:pulumi:case::inferplane::aws:s3/bucket:Bucket::x") is None
    assert spec_path(stack, by_name["llama-fleet-asg"], "scaling.min") == (
        "targets.llama-fleet.scaling.min"
    )
    assert spec_path(stack, None, "residency.zone") == "residency.zone"


def cli_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> tuple[int, str]:
    from inferplane.cli import main

    graph, _, _ = planned()
    data = yaml.safe_load(stack_text("prod-us-east-1"))
    edit(data["config"]["inferplane:spec"])
    text = yaml.safe_dump(data, sort_keys=False)
    project = stack_project(tmp_path, "prod-us-east-1", edit=lambda _: text, name="case")
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(graph.to_json())
    monkeypatch.setattr(
        sys,
        "argv",
        ["inferplane", "check", "--project", str(project), "--graph", str(graph_file),
         "--format", fmt],
    )  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0), capsys.readouterr().out


FIX = "lower `scaling.desired` to 0"


def test_table_shows_rule_resource_spec_key_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = cli_check(tmp_path, capsys, monkeypatch, "table")
    flat = " ".join(out.split())
    assert code == 1
    for words in ("IP-CAP-005", "llama-fleet-asg", "targets.llama-fleet.capacity", "change:"):
        assert words in flat
    assert "scaling.desired" in flat


def test_json_carries_spec_path_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = cli_check(tmp_path, capsys, monkeypatch, "json")
    [finding] = [
        f for s in json.loads(out)["stacks"] for f in s["findings"] if f["rule_id"] == "IP-CAP-005"
    ]
    assert finding["resource_name"] == "llama-fleet-asg"
    assert finding["spec_path"] == "targets.llama-fleet.capacity"
    assert FIX in finding["fix"]


def test_sarif_carries_spec_path_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = cli_check(tmp_path, capsys, monkeypatch, "sarif")
    [result] = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "IP-CAP-005"]
    assert result["properties"]["specPath"] == "targets.llama-fleet.capacity"
    assert FIX in result["properties"]["fix"]
    text = result["message"]["text"]
    assert text.startswith("llama-fleet-asg: ")
    assert "[spec: targets.llama-fleet.capacity]" in text
    assert FIX in text


def test_junit_carries_spec_path_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = cli_check(tmp_path, capsys, monkeypatch, "junit")
    root = ET.fromstring(out)
    [case] = [c for c in root.iter("testcase") if (c.get("name") or "").startswith("IP-CAP-005")]
    assert case.get("name") == (
        "IP-CAP-005 prod-gpu-baseline-reserved [llama-fleet-asg] targets.llama-fleet.capacity"
    )
    failure = case.find("failure")
    assert failure is not None
    assert "spec key: targets.llama-fleet.capacity" in (failure.text or "")
    assert FIX in (failure.text or "")


def test_expiring_waiver_in_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferplane.cli import main

    graph, _, _ = planned()
    data = yaml.safe_load(stack_text("prod-us-east-1"))
    edit(data["config"]["inferplane:spec"])
    project = stack_project(
        tmp_path, "prod-us-east-1", edit=lambda _: yaml.safe_dump(data), name="case"
    )
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(graph.to_json())
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(json.dumps({"waivers": [waiver("IP-CAP-005", "llama-fleet-asg", AS_OF)]}))
    for as_of, expect in ((AS_OF - dt.timedelta(days=5), "expires in 5 day(s)"),
                          (AS_OF - dt.timedelta(days=30), None)):  # fmt: skip
        monkeypatch.setattr(
            sys,
            "argv",
            ["inferplane", "check", "--project", str(project), "--graph", str(graph_file),
             "--waivers", str(waivers), "--as-of", as_of.isoformat()],
        )  # fmt: skip
        with pytest.raises(SystemExit):
            main()
        flat = " ".join(capsys.readouterr().out.split())
        if expect:
            assert f"waiver expiring: {expect}" in flat
        else:
            assert "waiver expiring" not in flat
