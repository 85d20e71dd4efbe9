"""The one fold of OpenAI messages into system text and alternating turns
(``router.turns``), and the three backends that render it (Converse, Anthropic Messages,
Gemini) each in its own API's shape."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.router.backends.anthropic import to_messages
from inferplane.router.backends.vertex import to_gemini
from inferplane.router.content import ContentError, ImageUrl, InlineImage, Segment, segments
from inferplane.router.converse import to_converse
from inferplane.router.turns import Conversation, Turn, fold_messages

PNG = "iVBORw0KGgo="  # the PNG signature, base64
PNG_URL = f"data:image/png;base64,{PNG}"

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "hi"},
    {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    {"role": "developer", "content": "in German"},
    {"role": "assistant", "content": None},
    {"role": "tool", "content": "42"},
    {"role": "function", "content": ""},
    {"role": "assistant", "content": "ok"},
]


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            MESSAGES,
            Conversation[Segment](
                ["be brief", "in German"],
                [
                    Turn[Segment]("user", [["hi"], ["a\nb"]]),
                    Turn[Segment]("assistant", [[" "]]),
                    Turn[Segment]("user", [["42"], [" "]]),
                    Turn[Segment]("assistant", [["ok"]]),
                ],
            ),
        ),
        (
            [{"role": "assistant", "content": "first"}],
            Conversation[Segment]([], [Turn[Segment]("assistant", [["first"]])]),
        ),
        ([{"role": "system", "content": "only"}], Conversation[Segment](["only"], [])),
        # An image keeps its place between the texts; empty text parts are no blocks.
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "a"},
                        {"type": "text", "text": ""},
                        {"type": "image_url", "image_url": {"url": PNG_URL}},
                        {"type": "text", "text": "b"},
                        {"type": "text", "text": "c"},
                    ],
                },
                {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            ],
            Conversation[Segment](
                [],
                [
                    Turn[Segment](
                        "user",
                        [["a", InlineImage("messages[0].content[2]", "image/png", PNG), "b\nc"]],
                    ),
                    Turn[Segment]("assistant", [["no"]]),
                ],
            ),
        ),
    ],
)
def test_fold(messages: list[dict[str, Any]], expected: Conversation[Segment]) -> None:
    assert fold_messages(messages) == expected


def test_each_backend_renders_the_same_fold() -> None:
    body = {"model": "m", "messages": MESSAGES}
    # Every translating backend renders tool messages as tool results: a tool message
    # answering no call, and a legacy function message, are refused (router.tools), not text.
    for render in (
        lambda b: to_converse(b, "m"),
        lambda b: to_messages(b, "m", stream=False),
        to_gemini,
    ):
        with pytest.raises(ValueError, match=r"messages\[5\]\.tool_call_id: None answers"):
            render(body)
    body = {
        "model": "m",
        "messages": [*MESSAGES[:5], {"role": "user", "content": "42"}, *MESSAGES[7:]],
    }
    converse = to_converse(body, "m")
    assert converse["system"] == [{"text": "be brief"}, {"text": "in German"}]
    assert [(m["role"], [b["text"] for b in m["content"]]) for m in converse["messages"]] == [
        ("user", ["hi", "a\nb"]),
        ("assistant", [" "]),
        ("user", ["42"]),
        ("assistant", ["ok"]),
    ]
    anthropic = to_messages(body, "m", stream=False)
    gemini = to_gemini(body)
    assert anthropic["system"] == "be brief\n\nin German"
    assert gemini["systemInstruction"] == {"parts": [{"text": "be brief"}, {"text": "in German"}]}
    assert [(m["role"], m["content"]) for m in anthropic["messages"]] == [
        ("user", "hi\n\na\nb"),
        ("assistant", " "),
        ("user", "42"),
        ("assistant", "ok"),
    ]
    assert [(c["role"], [p["text"] for p in c["parts"]]) for c in gemini["contents"]] == [
        ("user", ["hi", "a\nb"]),
        ("model", [" "]),
        ("user", ["42"]),
        ("model", ["ok"]),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (PNG_URL, InlineImage("messages[0].content[0]", "image/png", PNG)),
        (  # media type case-folded, image/jpg read as image/jpeg, parameters skipped
            f"data:Image/JPG;name=a.jpg;base64,{PNG}",
            InlineImage("messages[0].content[0]", "image/jpeg", PNG),
        ),
        ("HTTPS://x.test/a.png", ImageUrl("messages[0].content[0]", "HTTPS://x.test/a.png")),
        ("http://x.test/a.png", ImageUrl("messages[0].content[0]", "http://x.test/a.png")),
    ],
)
def test_image_urls_are_read_once_for_every_backend(url: str, expected: Segment) -> None:
    assert segments([{"type": "image_url", "image_url": {"url": url}}], 0) == [expected]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("data:image/png;base64,", "the data: URL holds no image"),
        ("data:image/png;base64,iVBORw0KGgoé", "the base64 data does not decode"),
        ("data:image/png;base64,iVBORw0KGgo", "the base64 data does not decode"),
        ("data:text/plain;base64,aGk=", "a data: URL must read data:image/<type>;base64,<data>"),
        ("file:///etc/passwd", "'file:///etc/passwd' is neither a data: URL nor an http(s) URL"),
        ("gs://bucket/a.png", "'gs://bucket/a.png' is neither a data: URL nor an http(s) URL"),
        ("https:x.test", "'https:x.test' is neither a data: URL nor an http(s) URL"),
    ],
)
def test_image_urls_no_backend_takes_are_refused(url: str, message: str) -> None:
    with pytest.raises(ContentError) as caught:
        segments([{"type": "image_url", "image_url": {"url": url}}], 3)
    assert str(caught.value).startswith("messages[3].content[0].image_url.url: ")
    assert message in str(caught.value)
