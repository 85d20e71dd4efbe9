"""The report as SARIF 2.1.0 (code-scanning upload): one run, the rule catalogue as the
driver's rules, one result per finding with the resource URN as its logical location.
Waived findings carry an accepted external suppression; expired waivers are results of
their own, on the waiver file."""

from __future__ import annotations

import json
from typing import Any

from policies.engine import Finding, Report
from policies.model import Enforcement, Rule
from policies.registry import all_rules

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
WAIVER_RULE_ID = "IP-WAIVER-EXPIRED"
SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}


def _level(enforcement: Enforcement) -> str:
    return "error" if enforcement is Enforcement.MANDATORY else "warning"


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.description},
        "help": {"text": rule.remediation},
        "defaultConfiguration": {"level": _level(rule.enforcement)},
        "properties": {
            "tags": [rule.family, "inferplane"],
            "severity": rule.severity.value,
            "security-severity": SECURITY_SEVERITY[rule.severity.value],
        },
    }


def _text(finding: Finding) -> str:
    subject = finding.resource_name or finding.stack
    where = f" [spec: {finding.spec_path}]" if finding.spec_path else ""
    return f"{subject}: {finding.message}{where}. Change: {finding.fix}"


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    subject = finding.urn or f"stack:{finding.stack}"
    result: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": index[finding.rule.id],
        "level": _level(finding.enforcement),
        "message": {"text": _text(finding)},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "fullyQualifiedName": subject,
                        "name": finding.resource_name or finding.stack,
                        "kind": "resource" if finding.urn else "module",
                    }
                ]
            }
        ],
        "properties": {
            "stack": finding.stack,
            "resourceType": finding.resource_type,
            "specPath": finding.spec_path,
            "fix": finding.fix,
        },
    }
    if finding.waiver is not None:
        waiver = finding.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{waiver.reason} (approved by {waiver.approver}, "
                f"expires {waiver.expires})",
            }
        ]
    return result


def render(report: Report) -> str:
    rules = list(all_rules())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [_result(f, index) for f in report.findings]
    descriptors = [_rule(r) for r in rules]
    expired = [n for n in report.waiver_notes if n.problem == "expired"]
    if expired:
        index[WAIVER_RULE_ID] = len(descriptors)
        descriptors.append(
            {
                "id": WAIVER_RULE_ID,
                "name": "waiver-expired",
                "shortDescription": {"text": "A waiver in the waiver file has expired."},
                "defaultConfiguration": {"level": "error"},
            }
        )
        results += [
            {
                "ruleId": WAIVER_RULE_ID,
                "ruleIndex": index[WAIVER_RULE_ID],
                "level": "error",
                "message": {"text": f"waiver expired: {n.waiver.describe()}"},
            }
            for n in expired
        ]
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "inferplane-policies",
                        "informationUri": "https://github.com/inferplane/inferplane/blob/main/docs/policy-rules.md",
                        "rules": descriptors,
                    }
                },
                "results": results,
                "properties": {"stacks": [s.stack for s in report.stacks]},
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"
