"""What Anthropic's Messages API and Gemini on Vertex AI refuse in a request's content,
for the loopback fakes that stand in for them: a fake that takes what the real API refuses
would let a translator ship requests that fail in production.

Anthropic: each content block is checked against the ``anthropic`` SDK's own request types
(``TextBlockParam``, ``ImageBlockParam``: block types, source types, the four media types),
then what the service checks beyond the types: text is not empty, base64 decodes, and the
image bytes are of the declared media type. Gemini (``generateContent``): a part is exactly
one of ``text``, ``inlineData`` {mimeType, data} or ``fileData`` {mimeType, fileUri}, roles
are ``user``/``model``, inline data is base64 of an image of the declared MIME type.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache
from typing import Any

from anthropic.types import ImageBlockParam, TextBlockParam
from pydantic import TypeAdapter, ValidationError

from tests.support.converse_wire import IMAGE_SIGNATURES

__all__ = ["WireError", "check_anthropic", "check_gemini"]


class WireError(ValueError):
    """The request the real API would answer with a 400; the message says why."""


@cache
def _anthropic_block() -> TypeAdapter[TextBlockParam | ImageBlockParam]:
    return TypeAdapter(TextBlockParam | ImageBlockParam)


def check_anthropic(body: dict[str, Any]) -> None:
    for index, message in enumerate(body["messages"]):
        where = f"messages.{index}"
        if message.get("role") not in ("user", "assistant"):
            raise WireError(f"{where}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list) or not content:
            raise WireError(f"{where}.content: Input should be a string or a non-empty list")
        for number, block in enumerate(content):
            at = f"{where}.content.{number}"
            try:
                _anthropic_block().validate_python(block)
            except ValidationError as exc:
                raise WireError(f"{at}: {exc}") from exc
            if block["type"] == "text" and not block["text"]:
                raise WireError(f"{at}: text content blocks must be non-empty")
            if block["type"] == "image":
                if message["role"] != "user":
                    raise WireError(f"{at}: images are only allowed in user messages")
                source = block["source"]
                if source["type"] == "base64":
                    _image(at, source["media_type"], source["data"])
                elif not source["url"].startswith(("https://", "http://")):
                    raise WireError(f"{at}.source.url: must be an http(s) URL")


def check_gemini(body: dict[str, Any]) -> None:
    for index, content in enumerate(body["contents"]):
        where = f"contents[{index}]"
        if content.get("role") not in ("user", "model"):
            raise WireError(f"{where}.role: Please use a valid role: user, model.")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise WireError(f"{where}.parts: must not be empty")
        for number, part in enumerate(parts):
            at = f"{where}.parts[{number}]"
            kinds = set(part) & {"text", "inlineData", "fileData", "functionCall"}
            if len(kinds) != 1 or set(part) - kinds:
                raise WireError(f"{at}: a part holds exactly one data field, got {sorted(part)}")
            if "text" in part and not isinstance(part["text"], str):
                raise WireError(f"{at}.text: must be a string")
            if "inlineData" in part:
                blob = part["inlineData"]
                if set(blob) != {"mimeType", "data"}:
                    raise WireError(f"{at}.inlineData: takes mimeType and data, got {sorted(blob)}")
                _image(f"{at}.inlineData", blob["mimeType"], blob["data"])


def _image(where: str, media_type: str, data: str) -> None:
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise WireError(f"{where}: invalid base64 data: {exc}") from exc
    signatures = IMAGE_SIGNATURES.get(media_type.removeprefix("image/"))
    if signatures is not None and not raw.startswith(signatures):
        raise WireError(f"{where}: image does not match the provided media type {media_type}")
