"""The one argument check the OpenAI-shaped endpoints share (``router.api.parse.
check_params``): the same refusal, naming the field, what was sent and what is allowed,
whichever endpoint reads the body."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from router.api import completions, embeddings
from router.chat import ChatRequest, parse_chat_request
from router.errors import RequestError

CHAT = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]'
PARSERS: dict[str, tuple[Callable[[bytes], ChatRequest], bytes]] = {
    "chat": (parse_chat_request, CHAT),
    "completions": (completions.parse, b'{"model": "m", "prompt": "hi"'),
    "embeddings": (embeddings.parse, b'{"model": "m", "input": "hi"'),
}


def _refusal(endpoint: str, extra: bytes) -> tuple[str, str | None]:
    parse, head = PARSERS[endpoint]
    with pytest.raises(RequestError) as caught:
        parse(head + extra + b"}")
    return caught.value.message, caught.value.param


@pytest.mark.parametrize("endpoint", sorted(PARSERS))
def test_an_unknown_argument_is_refused_by_name(endpoint: str) -> None:
    assert _refusal(endpoint, b', "tempo": 1') == (
        "unrecognized request argument supplied: tempo",
        "tempo",
    )


@pytest.mark.parametrize(
    ("endpoint", "extra", "message", "param"),
    [
        ("chat", b', "n": true', "'n' must be an integer, got a boolean", "n"),
        ("completions", b', "n": "2"', "'n' must be an integer, got a string", "n"),
        (
            "completions",
            b', "stop": 3',
            "'stop' must be a string or an array, got an integer",
            "stop",
        ),
        (
            "embeddings",
            b', "dimensions": true',
            "'dimensions' must be an integer, got a boolean",
            "dimensions",
        ),
        ("embeddings", b', "user": null', "'user' must be a string, got null", "user"),
    ],
)
def test_a_wrong_type_names_what_is_allowed(
    endpoint: str, extra: bytes, message: str, param: str
) -> None:
    assert _refusal(endpoint, extra) == (message, param)


@pytest.mark.parametrize(
    ("endpoint", "extra"), [("chat", b', "seed": null'), ("completions", b', "seed": null')]
)
def test_null_stands_for_an_unset_optional_argument(endpoint: str, extra: bytes) -> None:
    parse, head = PARSERS[endpoint]
    assert parse(head + extra + b"}").model == "m"


def test_a_range_is_checked_after_the_type() -> None:
    assert _refusal("chat", b', "temperature": 2.5') == (
        "'temperature' must be between 0 and 2, got 2.5",
        "temperature",
    )
