"""A real chat completion through the router returns a non-empty answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from inferplane.cost.usage import primary_target
from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import VerifyContext
from inferplane.verify.http import is_router, router_call

__all__ = ["NAME", "PROMPT", "applies", "run"]

NAME = "router-chat"
PROMPT = "Reply with the single word: ready"
applies = is_router


def run(ctx: VerifyContext, subject: Subject) -> Iterator[CheckResult]:
    model = ctx.router.model or primary_target(ctx.spec)
    body = orjson.dumps(
        {"model": model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 16}
    )
    found = router_call(NAME, ctx, "POST", "/v1/chat/completions", body)
    if isinstance(found, CheckResult):
        yield found
        return
    answer = _answer(found[1].content)
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
