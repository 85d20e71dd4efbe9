"""Request hardening found by an independent probe: header bytes, PII wherever the client
put it and however it wrote it, bounds on size, and one-line logs of malformed requests."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from router.core import Gateway, Request
from router.headers import SafeHeaders
from router.pii import PiiRegistry, normalise
from tests.router import configs
from tests.router.configs import KEY, OPERATOR_KEY, target
from tests.router.fakes import FakeOpenAI, LoopThread

CARD = "4111 1111 1111 1111"


def _gateway(loop: LoopThread, **extra: Any) -> tuple[Gateway, FakeOpenAI]:
    """One cloud target that may receive public data only: a request raised by PII to
    ``restricted`` has nowhere to go (503, reason pii); a clean one is answered (200)."""
    up = FakeOpenAI("cloud")
    served = loop.serve(up.app)
    cfg = configs.config(
        {"cloud": target(served.url, ("public",))},
        [{"name": "default", "targets": ["cloud"]}],
        **extra,
    )
    return Gateway(cfg), up


def _ask(
    loop: LoopThread,
    gateway: Gateway,
    path: str,
    body: dict[str, Any] | bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)

    async def run() -> tuple[int, dict[str, Any]]:
        await gateway.start()
        try:
            response = await gateway.handle(
                Request("POST", path, headers or configs.auth(), raw, "127.0.0.1")
            )
        finally:
            await gateway.close()
        return response.status, orjson.loads(response.body) if response.body else {}

    return loop.run(run())


# --- headers: every read is byte-safe -------------------------------------------------

# aiohttp decodes header bytes as UTF-8 with surrogate escapes: b"\xff" arrives as "\udcff".
BAD = "\udcff\udcfe"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"authorization": f"Bearer {BAD}"}, 401),
        ({"authorization": BAD}, 401),
        ({"x-api-key": BAD}, 401),
        ({"api-key": f"sk-{BAD}"}, 401),
        ({"authorization": f"Bearer {KEY}", "x-inferplane-data-class": BAD}, 400),
        ({"authorization": f"Bearer {KEY}", "x-inferplane-latency-budget-ms": BAD}, 400),
        ({"authorization": f"Bearer {KEY}", "x-inferplane-cache": BAD}, 200),
    ],
)
def test_header_bytes_that_are_not_utf8_are_a_client_error(
    loop: LoopThread, headers: dict[str, str], status: int, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, _ = _gateway(loop)
    with caplog.at_level(logging.INFO, "inferplane.router"):
        got, body = _ask(loop, gateway, "/v1/chat/completions", configs.chat(), headers)
    assert got == status
    assert "internal error" not in str(body)
    for record in caplog.records:  # every log line is encodable (no logging error)
        record.getMessage().encode("utf-8")


def test_operator_credential_with_bad_bytes_is_not_an_operator(loop: LoopThread) -> None:
    gateway, _ = _gateway(loop)

    async def run() -> int:
        headers = {"authorization": f"Bearer {OPERATOR_KEY}{BAD}"}
        return (await gateway.handle(Request("GET", "/metrics", headers))).status

    assert loop.run(run()) == 401


def test_safe_headers_replace_what_cannot_be_encoded() -> None:
    headers = SafeHeaders({"a": "ok", "b": f"x{BAD}", "c": "caf\u00e9"})
    assert (headers["a"], headers.get("b"), headers.get("c"), headers.get("z")) == (
        "ok",
        "x??",
        "caf\u00e9",
        None,
    )
    assert sorted(headers) == ["a", "b", "c"]


# --- PII: every client-supplied string, normalised -----------------------------------


def _tool_call(arguments: str) -> dict[str, Any]:
    return {
        "model": "default",
        "messages": [
            {"role": "user", "content": "book it"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "pay", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "done"},
        ],
    }


OUTSIDE_TEXT = [
    ("/v1/chat/completions", _tool_call(orjson.dumps({"card": CARD}).decode())),
    ("/v1/chat/completions", configs.chat(user="alice@example.com")),
    ("/v1/chat/completions", configs.chat(metadata={"iban": "DE89 3704 0044 0532 0130 00"})),
    ("/v1/chat/completions", configs.chat(metadata={"card": 4111111111111111})),
    (
        "/v1/messages",
        {
            "model": "default",
            "max_tokens": 5,
            "metadata": {"user_id": "bob@example.com"},
            "messages": [{"role": "user", "content": "hi"}],
        },
    ),
    (
        "/v1/messages",
        {
            "model": "default",
            "max_tokens": 5,
            "system": f"the customer's card is {CARD}",
            "messages": [{"role": "user", "content": "hi"}],
        },
    ),
    ("/v1/responses", {"model": "default", "input": "hi", "instructions": f"card {CARD}"}),
    ("/v1/responses", {"model": "default", "input": "hi", "user": "carol@example.com"}),
    ("/v1/embeddings", {"model": "default", "input": ["fine", f"card {CARD}"]}),
]


@pytest.mark.parametrize(("path", "body"), OUTSIDE_TEXT)
def test_pii_outside_message_text_raises_the_data_class(
    loop: LoopThread, path: str, body: dict[str, Any]
) -> None:
    gateway, up = _gateway(loop)
    status, answer = _ask(loop, gateway, path, body)
    assert status == 503, answer
    assert "PII detected" in str(answer)
    assert up.requests == []


VARIANTS = [
    "4111.1111.1111.1111",
    "4111-1111-1111-1111",
    "4111  1111  1111  1111",
    " ".join(["\uff14\uff11\uff11\uff11"] + ["\uff11" * 4] * 3),  # full-width digits
    "4111\u20131111\u20131111\u20131111",
    "4111\u200b1111\u200b1111\u200b1111",
    "4111\u00a01111\u00a01111\u00a01111",
    "iban de89 3704 0044 0532 0130 00",
    "DE89370400440532013000 is the account",
    "mail bob\uff20example.com",
]


@pytest.mark.parametrize("text", VARIANTS)
def test_pii_variants_are_detected_in_chat(loop: LoopThread, text: str) -> None:
    gateway, up = _gateway(loop)
    status, _ = _ask(loop, gateway, "/v1/chat/completions", configs.chat(text))
    assert status == 503
    assert up.requests == []


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails Luhn
        "iban de89 3704 0044 0532 0130 01",  # fails mod-97
        "version 1.2.3.4.5.6.7.8.9.0.1.2.3",
        "in 2024 we sold 1.234.567 units for 89.000 each",
        "order 12345-67890-12345",
    ],
)
def test_checksums_still_decide(text: str) -> None:
    assert PiiRegistry().scan(text, first_only=False) == ()


def test_normalise_is_nfkc_with_dashes_and_invisibles_folded() -> None:
    assert normalise("\uff21\u2013\u200bb") == "A-b"
    ascii_text = "plain"
    assert normalise(ascii_text) is ascii_text


# --- size bounds ----------------------------------------------------------------------


def test_too_many_messages_is_a_413_naming_the_limit(loop: LoopThread) -> None:
    gateway, up = _gateway(loop, limits={"max_messages": 10})
    body = {"model": "default", "messages": [{"role": "user", "content": "x"}] * 11}
    status, answer = _ask(loop, gateway, "/v1/chat/completions", body)
    assert status == 413
    assert answer["error"]["code"] == "too_many_messages"
    assert "limits.max_messages" in answer["error"]["message"]
    assert "11 messages" in answer["error"]["message"]
    assert up.requests == []


def test_too_many_embedding_inputs_is_a_413(loop: LoopThread) -> None:
    gateway, _ = _gateway(loop, limits={"max_messages": 2})
    body = {"model": "default", "input": ["a", "b", "c"]}
    status, answer = _ask(loop, gateway, "/v1/embeddings", body)
    assert (status, answer["error"]["param"]) == (413, "input")


def test_body_over_the_limit_names_the_setting(loop: LoopThread) -> None:
    gateway, _ = _gateway(loop, limits={"max_body_bytes": 100})
    status, answer = _ask(loop, gateway, "/v1/chat/completions", configs.chat("x" * 200))
    assert status == 413
    assert "limits.max_body_bytes" in answer["error"]["message"]


def test_large_bodies_are_parsed_off_the_loop_with_the_same_answer(loop: LoopThread) -> None:
    """Above offload_bytes the parse and scan run in a worker thread: same decisions."""
    gateway, _ = _gateway(loop, limits={"offload_bytes": 0})
    assert _ask(loop, gateway, "/v1/chat/completions", configs.chat("hello"))[0] == 200
    gateway, _ = _gateway(loop, limits={"offload_bytes": 0})
    assert _ask(loop, gateway, "/v1/chat/completions", configs.chat(f"card {CARD}"))[0] == 503
    gateway, _ = _gateway(loop, limits={"offload_bytes": 0})
    assert _ask(loop, gateway, "/v1/chat/completions", b"{not json")[0] == 400
