"""Engine and reports: enforcement overrides, fail-closed rules, waivers, and the
SARIF / JUnit / JSON shapes."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.policies.config import parse_policy
from inferplane.policies.engine import Report, apply_waivers, evaluate
from inferplane.policies.model import (
    Context,
    Enforcement,
    Resource,
    ResourceRule,
    Severity,
    Violation,
)
from inferplane.policies.report import FORMATS, render
from inferplane.policies.waivers import parse_waivers
from tests.policies.support import context, resource, stack, tags


def _entry(**fields: str | None) -> dict[str, str]:
    """A waiver entry: a valid one for IP-RES-001 on ``far``, with ``fields`` changed (None
    leaves the field out)."""
    base = {
        "stack": "test",
        "rule": "IP-RES-001",
        "resource": "far",
        "reason": "r",
        "approver": "a",
        "expires": "2027-01-01",
    }
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


BAD_BUCKET = resource(
    "aws:s3/bucket:Bucket", "far", {"bucket": "far", "region": "eu-west-1", "tags": tags()}
)
TODAY = dt.date(2026, 12, 1)
GOOD_BUCKET = resource(
    "aws:s3/bucket:Bucket", "near", {"bucket": "near", "region": "us-east-1", "tags": tags()}
)


def report_for(*resources: Resource, ctx: Context | None = None) -> Report:
    return Report([evaluate(stack(list(resources)), ctx or context())])


def test_findings_and_exit_code() -> None:
    report = report_for(BAD_BUCKET, GOOD_BUCKET)
    assert [(f.rule.id, f.resource_name, f.status) for f in report.findings] == [
        ("IP-RES-001", "far", "violation")
    ]
    assert report.exit_code == 1
    assert report_for(GOOD_BUCKET).exit_code == 0


def test_enforcement_override_and_disable() -> None:
    advisory = context(
        rules=parse_policy(
            {"rules": {"IP-RES-001": {"enforcement": "advisory"}}}, "t", approved=True
        ).rules
    )
    report = report_for(BAD_BUCKET, ctx=advisory)
    assert [f.status for f in report.findings] == ["advisory"]
    assert report.exit_code == 0
    disabled = context(
        rules=parse_policy(
            {"rules": {"IP-RES-001": {"enforcement": "disabled"}}}, "t", approved=True
        ).rules
    )
    assert report_for(BAD_BUCKET, ctx=disabled).findings == []


def test_a_crashing_rule_fails_closed() -> None:
    def explode(_r: Resource, _c: Context) -> list[Violation]:
        raise KeyError("boom")

    rule = ResourceRule(
        "IP-SAF-900",
        "exploding-rule",
        "Never crashes.",
        Severity.LOW,
        "safety",
        Enforcement.ADVISORY,
        "n/a",
        check=explode,
    )
    result = evaluate(stack([GOOD_BUCKET]), context(), rules=[rule])
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.enforcement is Enforcement.MANDATORY
    assert "KeyError" in finding.message


def test_waivers_match_expire_and_go_unused() -> None:
    waivers = parse_waivers(
        {
            "waivers": [
                _entry(reason="moving"),
                _entry(rule="IP-SAF-004", resource="x"),
                _entry(rule="IP-SAF-002", resource="y", expires="2026-01-01"),
            ]
        },
        "t",
        today=TODAY,
    )
    report = apply_waivers(report_for(BAD_BUCKET), waivers, today=dt.date(2026, 6, 1))
    assert [f.status for f in report.findings] == ["waived"]
    assert sorted(n.problem for n in report.waiver_notes) == ["expired", "unused"]
    assert report.exit_code == 1  # the expired waiver
    later = apply_waivers(report_for(BAD_BUCKET), waivers[:1], today=dt.date(2027, 2, 1))
    assert [f.status for f in later.findings] == ["violation"]


@pytest.mark.parametrize(
    "data",
    [
        {"waivers": [_entry(rule="IP-NOPE-001", resource="x")]},
        {"waivers": [_entry(resource="x", expires=None)]},
        {"waivers": [_entry(resource="x", reason="")]},
        {"waivers": [_entry(resource="x", expires="soon")]},
    ],
)
def test_invalid_waivers_name_the_key(data: dict[str, Any]) -> None:
    with pytest.raises(SpecError) as info:
        parse_waivers(data, "waivers.yaml", today=TODAY)
    assert info.value.paths[0].startswith("waivers[0].")


def test_sarif_shape() -> None:
    waivers = parse_waivers(
        {"waivers": [_entry(rule="IP-SAF-004", expires="2020-01-01")]},
        "t",
        today=TODAY,
    )
    report = apply_waivers(report_for(BAD_BUCKET), waivers)
    sarif = json.loads(render(report, "sarif"))
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
    located = [r for r in run["results"] if r["ruleId"] == "IP-RES-001"]
    assert located[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == BAD_BUCKET.urn
    assert any(r["ruleId"] == "IP-WAIVER-EXPIRED" for r in run["results"])


def test_sarif_marks_waived_findings_suppressed() -> None:
    waivers = parse_waivers(
        {"waivers": [_entry(reason="moving")]},
        "t",
        today=TODAY,
    )
    sarif = json.loads(render(apply_waivers(report_for(BAD_BUCKET), waivers, TODAY), "sarif"))
    (result,) = sarif["runs"][0]["results"]
    assert result["suppressions"][0]["status"] == "accepted"


def test_junit_counts() -> None:
    root = ET.fromstring(render(report_for(BAD_BUCKET), "junit"))
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "")) == len(cases)
    assert int(suite.get("failures", "")) == 1
    failures = [failure for c in cases if (failure := c.find("failure")) is not None]
    assert [f.get("type") for f in failures] == ["IP-RES-001"]


def test_every_format_renders_a_clean_report() -> None:
    report = report_for(GOOD_BUCKET)
    for fmt in FORMATS:
        assert render(report, fmt)
    assert json.loads(render(report, "json"))["summary"]["violations"] == 0


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"zones": {"eu": {"regions": {"mars": ["x"]}}}}, "zones.eu.regions"),
        ({"data_classes": {"x": {"placement": "moon"}}}, "data_classes.x.placement"),
        ({"commitments": {"approval_pattern": "("}}, "commitments.approval_pattern"),
        ({"rules": {"IP-RES-999": {"enforcement": "advisory"}}}, "rules"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_policy_config_names_the_key(data: dict[str, Any], path: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_policy(data, "org.yaml")
    assert info.value.paths[0] == path


def test_default_policy_matches_the_shipped_stacks() -> None:
    from inferplane.policies.rules.res_007_spec_within_org import RULE
    from tests.policies.support import load_spec

    for name in ("dev", "prod-eu-central-1", "prod-us-east-1"):
        spec = load_spec(name)
        assert RULE.evaluate(stack([], spec), context(spec)) == [], name
