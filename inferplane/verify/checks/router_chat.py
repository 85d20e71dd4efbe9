"""A real chat completion through the router returns a non-empty answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from inferplane.cost.usage import primary_target
from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import VerifyContext
from inferplane.verify.http import router_request

__all__ = ["NAME", "PROMPT", "applies", "run"]

NAME = "router-chat"
PROMPT = "Reply with the single word: ready"


def applies(ctx: VerifyContext, subject: Subject) -> bool:
    return subject.name == "router" and subject.target is None


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    base = ctx.outputs.router_url
    if base is None:
        yield CheckResult(NAME, "router", "could-not-check", "the outputs have no router_url")
        return
    model = ctx.router.model or primary_target(ctx.spec)
    url = base.rstrip("/") + "/v1/chat/completions"
    body = orjson.dumps(
        {"model": model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 16}
    )
    try:
        response = router_request("POST", url, ctx.router, ctx.clients, body)
    except httpx.HTTPError as exc:
        yield CheckResult(NAME, "router", "fail", f"POST {url}: {type(exc).__name__}: {exc}")
        return
    if response.status_code != 200:
        yield CheckResult(
            NAME, "router", "fail", f"POST {url}: {response.status_code} {response.text[:200]}"
        )
        return
    answer = _answer(response.content)
    if not answer:
        yield CheckResult(NAME, "router", "fail", f"model {model}: 200 but no answer text")
        return
    yield CheckResult(NAME, "router", "pass", f"model {model} answered {answer[:40]!r}")


def _answer(content: bytes) -> str:
    try:
        data: Any = orjson.loads(content)
        text = data["choices"][0]["message"]["content"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return ""
    return text.strip() if isinstance(text, str) else ""
