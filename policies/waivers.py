"""Waivers: accepted exceptions to a rule for one named resource of one stack, with an
owner and a near end.

A waiver file (YAML or JSON)::

    waivers:
      - rule: IP-CAP-005
        stack: prod-us-east-1
        resource: llama-fleet-asg          # a resource's URN or name; never a pattern
        reason: reservation pending with AWS (case 1234)
        approver: jane.doe
        expires: 2027-03-31                # at most the org's waiver_max_days ahead
      - rule: IP-RES-007                   # no resource (or resource: "(stack)", as the
        stack: hybrid                      # reports print it): the stack-level finding
        reason: ...                        # of a stack rule

The file fails closed: a pattern (``*``, ``?``, ``[``) instead of a resource, a missing
stack, a resource-less waiver of a resource rule, or an expiry beyond the org's maximum
make the whole file an error. A waived finding is still reported (status ``waived``); an
expired waiver fails the check on its own; one that matches no finding is reported as
unused; one that runs out within the org's ``waiver_warning_days`` (default 14, counted
from ``check --as-of``) is reported as expiring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inferplane.errors import Issue, SpecError
from policies.config import pydantic_issue, read_document

__all__ = [
    "DEFAULT_MAX_DAYS",
    "DEFAULT_WARNING_DAYS",
    "STACK_LEVEL",
    "Waiver",
    "WaiverFile",
    "load_waivers",
    "parse_waivers",
]

DEFAULT_MAX_DAYS = 90
DEFAULT_WARNING_DAYS = 14
PATTERN_CHARACTERS = frozenset("*?[]")
STACK_LEVEL = "(stack)"
"""What the reports print for a finding that names no resource; a waiver may name it."""


class Waiver(BaseModel):
    """One accepted exception."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    """Rule ID (IP-...)."""
    stack: str = Field(min_length=1)
    """The stack it applies to (exactly)."""
    resource: str | None = Field(default=None, min_length=1)
    """URN or resource name, exactly; omitted only for a stack rule's stack-level finding."""
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: dt.date

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        from policies.registry import rule_ids

        known = rule_ids()
        if value not in known:
            raise ValueError(f"unknown rule {value!r}; known: {', '.join(sorted(known))}")
        return value

    @field_validator("stack", "resource")
    @classmethod
    def _concrete(cls, value: str | None) -> str | None:
        if value is not None and PATTERN_CHARACTERS & set(value):
            raise ValueError(
                f"{value!r} is a pattern; a waiver names one stack and one resource exactly "
                f"(for a stack-level finding omit `resource` or write {STACK_LEVEL!r})"
            )
        return value

    @property
    def stack_level(self) -> bool:
        """Waives the stack-level finding (no resource) of a stack rule."""
        return self.resource in (None, STACK_LEVEL)

    def matches(self, rule_id: str, stack: str, urn: str | None, name: str | None) -> bool:
        if rule_id != self.rule or stack != self.stack:
            return False
        if self.stack_level:
            return urn is None
        return self.resource in (urn, name)

    def days_left(self, today: dt.date) -> int:
        return (self.expires - today).days

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def describe(self) -> str:
        subject = "the stack-level finding" if self.stack_level else repr(self.resource)
        return (
            f"{self.rule} in {self.stack} for {subject} "
            f"(approved by {self.approver}, expires {self.expires})"
        )


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: tuple[Waiver, ...] = ()


def parse_waivers(
    data: object,
    source: str,
    *,
    max_days: int = DEFAULT_MAX_DAYS,
    today: dt.date | None = None,
) -> Sequence[Waiver]:
    """The waivers in ``data``; any waiver that is too broad or too long fails the file."""
    try:
        waivers = WaiverFile.model_validate(data or {}).waivers
    except ValidationError as exc:
        raise SpecError([pydantic_issue(e) for e in exc.errors()], source) from exc
    issues = _bounds(waivers, max_days, today or dt.date.today())
    if issues:
        raise SpecError(issues, source)
    return waivers


def _bounds(waivers: Sequence[Waiver], max_days: int, today: dt.date) -> list[Issue]:
    from policies.model import StackRule
    from policies.registry import all_rules

    stack_rules = {r.id for r in all_rules() if isinstance(r, StackRule)}
    latest = today + dt.timedelta(days=max_days)
    issues: list[Issue] = []
    for i, waiver in enumerate(waivers):
        if waiver.expires > latest:
            issues.append(
                Issue(
                    f"waivers[{i}].expires",
                    f"more than {max_days} days ahead (latest allowed {latest}; the org "
                    "policy's waiver_max_days)",
                    waiver.expires,
                )
            )
        if waiver.stack_level and waiver.rule not in stack_rules:
            issues.append(
                Issue(
                    f"waivers[{i}].resource",
                    f"required: {waiver.rule} is a resource rule, so a waiver names the "
                    "resource (URN or name)",
                )
            )
    return issues


def load_waivers(
    path: Path | None, *, max_days: int = DEFAULT_MAX_DAYS, today: dt.date | None = None
) -> Sequence[Waiver]:
    if path is None:
        return ()
    data = read_document(path)
    if data is not None and not isinstance(data, dict):
        raise SpecError([Issue("(root)", "expected a mapping with a 'waivers' list")], str(path))
    return parse_waivers(data, str(path), max_days=max_days, today=today)
