"""The fakes' wire checks refuse what the real APIs refuse: otherwise the image tests that
rely on them could not fail."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.support.bedrock import check_converse
from tests.support.images import GIF, PNG
from tests.support.native_wire import WireError, check_anthropic, check_gemini

PNG_B64 = base64.b64encode(PNG).decode()
PNG_IMAGE = {"format": "png", "source": {"bytes": PNG}}


def _converse(*content: dict[str, Any], role: str = "user") -> dict[str, Any]:
    return {"modelId": "m", "messages": [{"role": role, "content": list(content)}]}


@pytest.mark.parametrize(
    ("request_", "error", "fragment"),
    [
        (
            _converse({"image": {"format": "png", "source": {"url": "https://x.test/a.png"}}}),
            ParamValidationError,
            'Unknown parameter in messages[0].content[0].image.source: "url"',
        ),
        (
            _converse({"image": {"format": "bmp", "source": {"bytes": PNG}}}),
            ClientError,
            "value at 'messages.0.member.content.0.member.image.format' is 'bmp'; allowed: png",
        ),
        (
            _converse({"image": {"format": "jpeg", "source": {"bytes": PNG}}}),
            ClientError,
            "does not match the format jpeg",
        ),
        (_converse({"text": "hi"}, role="assistant"), ClientError, "must alternate"),
        (_converse({"text": ""}), ClientError, "at messages.0.content.0 is blank"),
        (
            _converse(
                {"text": "hi"},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
                role="assistant",
            ),
            ClientError,
            "messages.0.content.1: Images are only supported in user messages",
        ),
        (
            _converse(*[{"image": PNG_IMAGE}] * 21),
            ClientError,
            "Too many images: 21 (at most 20)",
        ),
        (
            _converse({"image": {"format": "png", "source": {"bytes": PNG + bytes(3_750_000)}}}),
            ClientError,
            "The image exceeds the maximum size of 3.75 MB",
        ),
    ],
)
def test_converse_check_refuses_what_bedrock_refuses(
    request_: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        check_converse("Converse", request_)
    assert fragment in str(caught.value)


def _image(media_type: str, data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ({"role": "user", "content": [_image("image/bmp", PNG_B64)]}, "media_type"),
        ({"role": "user", "content": [_image("image/gif", PNG_B64)]}, "does not match"),
        ({"role": "user", "content": [_image("image/png", "%%")]}, "invalid base64"),
        ({"role": "assistant", "content": [_image("image/png", PNG_B64)]}, "only allowed in user"),
        ({"role": "user", "content": [{"type": "text", "text": ""}]}, "must be non-empty"),
        ({"role": "user", "content": [{"type": "audio", "data": "x"}]}, "content.0"),
    ],
)
def test_anthropic_check_refuses_what_the_messages_api_refuses(
    message: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(WireError) as caught:
        check_anthropic({"messages": [message]})
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("part", "fragment"),
    [
        ({"text": "a", "inlineData": {"mimeType": "image/png", "data": PNG_B64}}, "exactly one"),
        ({"inlineData": {"mimeType": "image/png", "data": PNG_B64, "url": "x"}}, "takes mimeType"),
        (
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(GIF).decode()}},
            "does not match",
        ),
        ({"image_url": "https://x.test/a.png"}, "exactly one"),
    ],
)
def test_gemini_check_refuses_what_generate_content_refuses(
    part: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(WireError) as caught:
        check_gemini({"contents": [{"role": "user", "parts": [part]}]})
    assert fragment in str(caught.value)


USE = {"type": "tool_use", "id": "t1", "name": "f", "input": {}}
RESULT = {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "messages": [
                    {"role": "assistant", "content": [USE]},
                    {"role": "user", "content": "x"},
                ]
            },
            "tool_use ids were found without tool_result blocks immediately after: ['t1']",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "content": [USE]},
                    {"role": "user", "content": [{"type": "text", "text": "x"}, RESULT]},
                ]
            },
            "tool_result blocks must come first",
        ),
        ({"messages": [{"role": "user", "content": [RESULT]}]}, "unexpected tool_use_id"),
        ({"messages": [], "tool_choice": {"type": "required"}}, "tool_choice"),
        ({"messages": [], "tools": [{"name": "f", "parameters": {}}]}, "tools"),
        ({"messages": [{"role": "user", "content": [USE]}]}, "belong to assistant turns"),
    ],
)
def test_anthropic_check_refuses_tool_blocks_the_messages_api_refuses(
    body: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(WireError) as caught:
        check_anthropic(body)
    assert fragment in str(caught.value)


CALL = {"functionCall": {"name": "f", "args": {}}}
ANSWER = {"functionResponse": {"name": "f", "response": {"content": "ok"}}}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "contents": [
                    {"role": "model", "parts": [CALL, CALL]},
                    {"role": "user", "parts": [ANSWER]},
                ]
            },
            "number of function response parts is equal to the number of function call parts",
        ),
        ({"contents": [{"role": "user", "parts": [CALL]}]}, "in a model turn only"),
        ({"contents": [{"role": "model", "parts": [ANSWER]}]}, "in a user turn only"),
        (
            {"contents": [], "tools": [{"functionDeclarations": [{"name": "1f"}]}]},
            "invalid function name",
        ),
        (
            {"contents": [], "toolConfig": {"functionCallingConfig": {"mode": "REQUIRED"}}},
            "toolConfig: invalid",
        ),
    ],
)
def test_gemini_check_refuses_function_parts_generate_content_refuses(
    body: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(WireError) as caught:
        check_gemini(body)
    assert fragment in str(caught.value)
