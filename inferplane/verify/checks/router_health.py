"""The router answers ``GET /healthz`` with 200."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import VerifyContext
from inferplane.verify.http import is_router, router_call

__all__ = ["NAME", "applies", "run"]

NAME = "router-healthz"
applies = is_router


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    found = router_call(NAME, ctx, "GET", "/healthz")
    if isinstance(found, CheckResult):
        yield found
        return
    url, _response = found
    yield CheckResult(NAME, "router", "pass", f"GET {url}: 200")
