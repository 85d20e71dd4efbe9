"""Run rules over a stack and apply waivers: the part shared by ``inferplane check`` and
anything else that wants findings (tests, the benchmark)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from policies.model import (
    Context,
    Enforcement,
    Resource,
    ResourceRule,
    Rule,
    Stack,
    StackRule,
    Violation,
)
from policies.registry import all_rules
from policies.speckeys import spec_path
from policies.waivers import DEFAULT_WARNING_DAYS, Waiver

__all__ = ["Finding", "Report", "StackReport", "WaiverNote", "apply_waivers", "evaluate"]

Status = Literal["violation", "advisory", "waived"]


@dataclass(frozen=True)
class Finding:
    """One rule violation on one resource (or the stack), with its effective enforcement."""

    rule: Rule
    enforcement: Enforcement
    message: str
    stack: str
    urn: str | None = None
    resource_name: str | None = None
    resource_type: str | None = None
    waiver: Waiver | None = None
    spec_path: str | None = None
    """The stack spec key to change (``targets.llama-fleet.scaling.min``); None when the
    resource belongs to no spec entry."""
    fix: str = ""
    """What to change: the violation's own advice, else the rule's remediation."""

    @property
    def key(self) -> str:
        """Stable identity within a report: rule, resource (or the stack) and message,
        for report formats that need unique names (JUnit)."""
        return f"{self.rule.id} {self.resource_name or '(stack)'} {self.message}"

    @property
    def status(self) -> Status:
        if self.waiver is not None:
            return "waived"
        return "violation" if self.enforcement is Enforcement.MANDATORY else "advisory"

    @property
    def blocking(self) -> bool:
        return self.status == "violation"


@dataclass(frozen=True)
class WaiverNote:
    """A waiver that needs attention: expired (fails the check), unused or expiring soon
    (reported)."""

    waiver: Waiver
    problem: Literal["expired", "unused", "expiring"]
    days_left: int | None = None
    """For ``expiring``: days until it expires (0: its last day is today)."""

    def describe(self) -> str:
        if self.problem == "expiring":
            return f"expires in {self.days_left} day(s): {self.waiver.describe()}"
        return self.waiver.describe()

    @property
    def blocking(self) -> bool:
        return self.problem == "expired"


@dataclass
class StackReport:
    stack: str
    findings: list[Finding]
    resources: int
    rules: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    """Facts the reader needs (e.g. that the graph is an offline synthesis)."""


@dataclass
class Report:
    stacks: list[StackReport]
    waiver_notes: list[WaiverNote] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.stacks for f in s.findings]

    @property
    def exit_code(self) -> int:
        """0 clean or advisory only; 1 a mandatory violation or an expired waiver."""
        failed = any(f.blocking for f in self.findings) or any(
            n.blocking for n in self.waiver_notes
        )
        return 1 if failed else 0


def evaluate(stack: Stack, ctx: Context, rules: Sequence[Rule] | None = None) -> StackReport:
    """Every finding of ``rules`` (default: all) on ``stack``, unwaived."""
    started = time.perf_counter()
    active = [
        (rule, level)
        for rule in (all_rules() if rules is None else rules)
        if (level := ctx.policy.enforcement(rule.id, rule.enforcement)) is not Enforcement.DISABLED
    ]
    findings: list[Finding] = []
    by_type: dict[str | None, list[tuple[ResourceRule, Enforcement]]] = {}
    for rule, level in active:
        if isinstance(rule, ResourceRule):
            for type_ in rule.types or (None,):
                by_type.setdefault(type_, []).append((rule, level))
    generic = by_type.get(None, [])
    for resource in stack.resources:
        for rule, level in (*by_type.get(resource.type, ()), *generic):
            try:
                violations, crashed = rule.evaluate(resource, ctx), False
            except Exception as exc:
                violations, crashed = _crash(exc, resource.urn), True
            if violations:
                findings += _findings(
                    rule, level, violations, stack, resource=resource, crashed=crashed
                )
    for rule, level in active:
        if isinstance(rule, StackRule):
            try:
                violations, crashed = rule.evaluate(stack, ctx), False
            except Exception as exc:
                violations, crashed = _crash(exc, None), True
            findings += _findings(rule, level, violations, stack, resource=None, crashed=crashed)
    elapsed = time.perf_counter() - started
    return StackReport(stack.name, findings, len(stack.resources), len(active), elapsed)


def _crash(exc: Exception, urn: str | None) -> list[Violation]:
    # A rule that crashes on an input fails closed: the crash is a mandatory finding, so a
    # bug in a rule can never let a stack through unchecked.
    return [Violation(f"rule failed on this input: {type(exc).__name__}: {exc}", urn)]


def _findings(
    rule: Rule,
    level: Enforcement,
    violations: Iterable[Violation],
    stack: Stack,
    *,
    resource: Resource | None,
    crashed: bool,
) -> list[Finding]:
    level = Enforcement.MANDATORY if crashed else level
    result: list[Finding] = []
    for violation in violations:
        subject = resource
        if violation.urn is not None and (subject is None or subject.urn != violation.urn):
            subject = stack.by_urn.get(violation.urn)
        result.append(
            Finding(
                rule=rule,
                enforcement=level,
                message=violation.message,
                stack=stack.name,
                urn=violation.urn,
                resource_name=subject.name if subject else None,
                resource_type=subject.type if subject else None,
                spec_path=violation.spec_key
                or spec_path(stack, violation.urn, violation.spec_field or rule.spec_field),
                fix=violation.fix or rule.remediation,
            )
        )
    return result


def apply_waivers(
    report: Report,
    waivers: Sequence[Waiver],
    today: dt.date | None = None,
    warning_days: int = DEFAULT_WARNING_DAYS,
) -> Report:
    """``report`` with matching findings waived, plus notes on expired, unused and soon
    expiring (within ``warning_days`` of ``today``) waivers. An expired waiver waives
    nothing."""
    today = today or dt.date.today()
    used: set[int] = set()
    for stack_report in report.stacks:
        waived: list[Finding] = []
        for finding in stack_report.findings:
            match = None
            for i, waiver in enumerate(waivers):
                if waiver.matches(
                    finding.rule.id, finding.stack, finding.urn, finding.resource_name
                ):
                    used.add(i)
                    if not waiver.expired(today):
                        match = waiver
                        break
            waived.append(replace(finding, waiver=match) if match else finding)
        stack_report.findings = waived
    notes = [WaiverNote(w, "expired") for w in waivers if w.expired(today)]
    notes += [
        WaiverNote(w, "unused")
        for i, w in enumerate(waivers)
        if i not in used and not w.expired(today)
    ]
    notes += [
        WaiverNote(w, "expiring", w.days_left(today))
        for w in waivers
        if not w.expired(today) and w.days_left(today) <= warning_days
    ]
    return Report(report.stacks, [*report.waiver_notes, *notes])
