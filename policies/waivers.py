"""Waivers: accepted exceptions to a rule for named resources, with an owner and an end.

A waiver file (YAML or JSON)::

    waivers:
      - rule: IP-CAP-005
        resource: "*::llama-fleet-asg"      # URN or resource name; glob patterns allowed
        reason: reservation pending with AWS (case 1234)
        approver: jane.doe
        expires: 2027-03-31

A waived finding is still reported (status ``waived``). An expired waiver fails the check
on its own; a waiver that matches no finding is reported as unused.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inferplane.errors import Issue, SpecError
from policies.config import pydantic_issue, read_document

__all__ = ["Waiver", "WaiverFile", "load_waivers", "parse_waivers"]


class Waiver(BaseModel):
    """One accepted exception."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    """Rule ID (IP-...)."""
    resource: str = Field(min_length=1)
    """URN or resource name, exact or a glob (``*``, ``?``, ``[...]``)."""
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

    def matches(self, rule_id: str, urn: str | None, name: str | None) -> bool:
        if rule_id != self.rule:
            return False
        subjects = [s for s in (urn, name) if s]
        return any(s == self.resource or fnmatch.fnmatchcase(s, self.resource) for s in subjects)

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def describe(self) -> str:
        return (
            f"{self.rule} for {self.resource!r} "
            f"(approved by {self.approver}, expires {self.expires})"
        )


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: tuple[Waiver, ...] = ()


def parse_waivers(data: object, source: str) -> Sequence[Waiver]:
    try:
        return WaiverFile.model_validate(data or {}).waivers
    except ValidationError as exc:
        raise SpecError([pydantic_issue(e) for e in exc.errors()], source) from exc


def load_waivers(path: Path | None) -> Sequence[Waiver]:
    if path is None:
        return ()
    data = read_document(path)
    if data is not None and not isinstance(data, dict):
        raise SpecError([Issue("(root)", "expected a mapping with a 'waivers' list")], str(path))
    return parse_waivers(data, str(path))
