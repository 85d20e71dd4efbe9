"""The router answers ``GET /healthz`` with 200."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import VerifyContext
from inferplane.verify.http import router_request

__all__ = ["NAME", "applies", "run"]

NAME = "router-healthz"


def applies(ctx: VerifyContext, subject: Subject) -> bool:
    return subject.name == "router" and subject.target is None


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    base = ctx.outputs.router_url
    if base is None:
        yield CheckResult(NAME, "router", "could-not-check", "the outputs have no router_url")
        return
    url = base.rstrip("/") + "/healthz"
    try:
        response = router_request("GET", url, ctx.router, ctx.clients)
    except httpx.HTTPError as exc:
        yield CheckResult(NAME, "router", "fail", f"GET {url}: {type(exc).__name__}: {exc}")
        return
    if response.status_code == 200:
        yield CheckResult(NAME, "router", "pass", f"GET {url}: 200")
    else:
        yield CheckResult(
            NAME, "router", "fail", f"GET {url}: {response.status_code} {response.text[:200]}"
        )
