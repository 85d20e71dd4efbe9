"""The fakes' wire checks refuse what the real APIs refuse: otherwise the image tests that
rely on them could not fail."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.support.converse_wire import check_converse
from tests.support.images import GIF, PNG
from tests.support.native_wire import WireError, check_anthropic, check_gemini

PNG_B64 = base64.b64encode(PNG).decode()


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
            "failed to satisfy constraint: Member must satisfy enum value set",
        ),
        (
            _converse({"image": {"format": "jpeg", "source": {"bytes": PNG}}}),
            ClientError,
            "does not match the format jpeg",
        ),
        (_converse({"text": "hi"}, role="assistant"), ClientError, "must alternate"),
        (_converse({"text": ""}), ClientError, "is blank"),
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
