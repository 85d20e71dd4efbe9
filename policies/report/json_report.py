"""The report as JSON: every finding with its rule metadata, status and waiver."""

from __future__ import annotations

import json
from typing import Any

from policies.engine import Finding, Report
from policies.report.summary import summary
from policies.waivers import Waiver

__all__ = ["as_dict", "render"]


def _waiver(waiver: Waiver) -> dict[str, Any]:
    return {
        "rule": waiver.rule,
        "stack": waiver.stack,
        "resource": waiver.resource,
        "reason": waiver.reason,
        "approver": waiver.approver,
        "expires": waiver.expires.isoformat(),
    }


def _finding(finding: Finding) -> dict[str, Any]:
    rule = finding.rule
    return {
        "rule_id": rule.id,
        "rule_name": rule.name,
        "family": rule.family,
        "severity": rule.severity.value,
        "enforcement": finding.enforcement.value,
        "status": finding.status,
        "message": finding.message,
        "urn": finding.urn,
        "resource_name": finding.resource_name,
        "resource_type": finding.resource_type,
        "spec_path": finding.spec_path,
        "fix": finding.fix,
        "waiver": _waiver(finding.waiver) if finding.waiver else None,
    }


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "tool": "inferplane check",
        "exit_code": report.exit_code,
        "summary": summary(report),
        "stacks": [
            {
                "stack": s.stack,
                "resources": s.resources,
                "rules": s.rules,
                "seconds": round(s.seconds, 4),
                "notes": s.notes,
                "findings": [_finding(f) for f in s.findings],
            }
            for s in report.stacks
        ],
        "waivers": [
            {**_waiver(n.waiver), "problem": n.problem, "days_left": n.days_left}
            for n in report.waiver_notes
        ],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
