"""Subjects preflight cannot ask a cloud about: other clouds' targets and edge sites.
Reported as could-not-check, so a reader sees they were not checked rather than passed."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult

__all__ = ["NAME", "applies", "run"]

NAME = "outside-aws"


def applies(subject: Subject) -> bool:
    return subject.cloud != "aws"


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    if subject.cloud == "edge":
        reason = "edge site: no cloud API to ask (preflight checks AWS only)"
    else:
        reason = f"{subject.kind} on {subject.cloud}: could not check (AWS only)"
    yield CheckResult(NAME, subject.name, "could-not-check", reason)
