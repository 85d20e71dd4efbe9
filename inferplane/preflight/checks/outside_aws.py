"""Subjects preflight cannot ask a cloud about: GCP targets without a GPU, Azure kinds
without an Azure check (Container Apps), non-Lambda routers and edge sites. Reported as
could-not-check, so a reader sees they were not checked rather than passed."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.checks import gcp_gpu
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult

__all__ = ["NAME", "applies", "run"]

NAME = "outside-aws"


ASKED_ELSEWHERE = frozenset({"azure_openai", "azure_ml"})
"""Non-AWS kinds with checks of their own (``azure_openai_model``, ``azure_ml_quota``);
GCP GPU targets have ``gcp_gpu``."""


def applies(subject: Subject) -> bool:
    return (
        subject.cloud != "aws"
        and subject.kind not in ASKED_ELSEWHERE
        and not gcp_gpu.applies(subject)
    )


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    if subject.cloud == "edge":
        reason = "edge site: no cloud API to ask (preflight checks AWS only)"
    else:
        reason = f"{subject.kind} on {subject.cloud}: could not check (no preflight check for it)"
    yield CheckResult(NAME, subject.name, "could-not-check", reason)
