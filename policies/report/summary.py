"""Counts every format shows."""

from __future__ import annotations

from collections import Counter

from policies.engine import Report

__all__ = ["summary"]


def summary(report: Report) -> dict[str, int]:
    statuses = Counter(f.status for f in report.findings)
    problems = Counter(n.problem for n in report.waiver_notes)
    return {
        "stacks": len(report.stacks),
        "resources": sum(s.resources for s in report.stacks),
        "violations": statuses["violation"],
        "advisory": statuses["advisory"],
        "waived": statuses["waived"],
        "expired_waivers": problems["expired"],
        "unused_waivers": problems["unused"],
        "expiring_waivers": problems["expiring"],
    }
