"""The report as JUnit XML: one testsuite per stack, one testcase per rule that passed and
per finding; mandatory violations are failures, waived findings are skipped, advisory
findings pass with their message in system-out. Expired waivers fail in a suite of their
own."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from policies.engine import Report, StackReport
from policies.registry import all_rules

__all__ = ["case_names", "render"]


def _suite(stack: StackReport) -> ET.Element:
    suite = ET.Element(
        "testsuite", name=f"inferplane check {stack.stack}", time=f"{stack.seconds:.4f}"
    )
    flagged = {f.rule.id for f in stack.findings}
    for finding, name in zip(stack.findings, case_names(stack), strict=True):
        case = ET.SubElement(
            suite, "testcase", classname=f"{stack.stack}.{finding.rule.family}", name=name
        )
        text = f"{finding.urn or stack.stack}: {finding.message}"
        if finding.spec_path:
            text += f"\nspec key: {finding.spec_path}"
        text += f"\nchange: {finding.fix}"
        if finding.status == "violation":
            ET.SubElement(
                case, "failure", message=finding.message, type=finding.rule.id
            ).text = text
        elif finding.status == "waived" and finding.waiver is not None:
            ET.SubElement(case, "skipped", message=f"waived: {finding.waiver.describe()}")
        else:
            ET.SubElement(case, "system-out").text = f"advisory: {text}"
    for rule in all_rules():
        if rule.id not in flagged:
            ET.SubElement(
                suite,
                "testcase",
                classname=f"{stack.stack}.{rule.family}",
                name=f"{rule.id} {rule.name}",
            )
    _count(suite)
    return suite


def case_names(stack: StackReport) -> list[str]:
    """One test case name per finding, unique within the suite and stable across runs:
    rule, resource (or the stack) and spec key; a rule that flags one resource twice adds
    a short digest of the message, so the name does not depend on finding order."""
    names = [
        f"{f.rule.id} {f.rule.name} [{f.resource_name or '(stack)'}]"
        + (f" {f.spec_path}" if f.spec_path else "")
        for f in stack.findings
    ]
    repeated = {n for n in names if names.count(n) > 1}
    unique = [
        f"{n} #{hashlib.sha256(f.key.encode()).hexdigest()[:8]}" if n in repeated else n
        for n, f in zip(names, stack.findings, strict=True)
    ]
    # Identical findings (same rule, resource and message) get a counter in stable order.
    seen: dict[str, int] = {}
    result = []
    for name in unique:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("errors", "0")


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="inferplane check")
    for stack in report.stacks:
        root.append(_suite(stack))
    notes = report.waiver_notes
    if notes:
        suite = ET.SubElement(root, "testsuite", name="inferplane waivers", time="0")
        for note in notes:
            case = ET.SubElement(
                suite, "testcase", classname="waivers", name=f"{note.problem}: {note.describe()}"
            )
            if note.problem == "expired":
                ET.SubElement(
                    case, "failure", message="waiver expired", type="expired"
                ).text = note.waiver.describe()
            elif note.problem == "expiring":
                ET.SubElement(case, "system-out").text = f"waiver {note.describe()}"
            else:
                ET.SubElement(case, "system-out").text = "waiver matches no finding"
        _count(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
