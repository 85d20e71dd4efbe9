"""What Anthropic's Messages API and Gemini on Vertex AI refuse in a request's content,
for the loopback fakes that stand in for them: a fake that takes what the real API refuses
would let a translator ship requests that fail in production.

Anthropic: each content block is checked against the ``anthropic`` SDK's own request types
(``TextBlockParam``, ``ImageBlockParam``: block types, source types, the four media types),
then what the service checks beyond the types: text is not empty, base64 decodes, and the
image bytes are of the declared media type. Tools: ``tools`` and ``tool_choice`` against
the SDK's ``ToolParam`` / ``ToolChoiceParam`` (unknown keys refused), ``tool_use`` blocks
in assistant turns only, and every one answered by a ``tool_result`` in the next user turn,
those results first in it (the API's 400s: "tool_use ids were found without tool_result
blocks immediately after", "tool_result block(s) ... must come first").

Gemini (``generateContent``): a part is exactly one of ``text``, ``inlineData`` {mimeType,
data}, ``fileData`` {mimeType, fileUri}, ``functionCall`` {name, args} (model turns) or
``functionResponse`` {name, response} (user turns), roles are ``user``/``model``, inline data
is base64 of an image of the declared MIME type; a function-call turn is followed by as many
function responses; ``tools[].functionDeclarations`` take a valid name and one schema
(``parameters`` or ``parametersJsonSchema``); ``toolConfig.functionCallingConfig`` a mode
AUTO/ANY/NONE and ``allowedFunctionNames`` with ANY only.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from typing import Any

from anthropic.types import (
    ImageBlockParam,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
)
from pydantic import ConfigDict, TypeAdapter, ValidationError

from inferplane.smoke.bedrock_rules import IMAGE_SIGNATURES

__all__ = ["WireError", "check_anthropic", "check_gemini"]


class WireError(ValueError):
    """The request the real API would answer with a 400; the message says why."""


_STRICT = ConfigDict(extra="forbid")
_GEMINI_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
_DECLARATION_KEYS = {"name", "description", "parameters", "parametersJsonSchema"}


@cache
def _anthropic_block() -> TypeAdapter[
    TextBlockParam | ImageBlockParam | ToolUseBlockParam | ToolResultBlockParam
]:
    return TypeAdapter(
        TextBlockParam | ImageBlockParam | ToolUseBlockParam | ToolResultBlockParam,
        config=_STRICT,
    )


@cache
def _anthropic_tools() -> TypeAdapter[list[ToolParam]]:
    return TypeAdapter(list[ToolParam], config=_STRICT)


@cache
def _anthropic_choice() -> TypeAdapter[ToolChoiceParam]:
    return TypeAdapter(ToolChoiceParam, config=_STRICT)


def _validate(adapter: TypeAdapter[Any], value: object, where: str) -> None:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        raise WireError(f"{where}: {exc}") from exc


def check_anthropic(body: dict[str, Any]) -> None:
    if "tools" in body:
        _validate(_anthropic_tools(), body["tools"], "tools")
    if "tool_choice" in body:
        _validate(_anthropic_choice(), body["tool_choice"], "tool_choice")
    _check_anthropic_messages(body)
    _check_tool_pairs(body["messages"])


def _check_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """Each assistant turn's tool_use ids answered, first thing, by the next user turn."""
    for index, message in enumerate(messages):
        content = message["content"]
        blocks = content if isinstance(content, list) else []
        kinds = [b["type"] for b in blocks]
        if message["role"] == "user" and "tool_result" in kinds:
            first_other = next((i for i, k in enumerate(kinds) if k != "tool_result"), None)
            if first_other is not None and "tool_result" in kinds[first_other:]:
                raise WireError(
                    f"messages.{index}: tool_result block(s) provided when previous message "
                    "does not ... ; tool_result blocks must come first in the content"
                )
            before = messages[index - 1] if index else {"content": ""}
            asked = {
                b["id"]
                for b in (before["content"] if isinstance(before["content"], list) else [])
                if b["type"] == "tool_use"
            }
            answered = {b["tool_use_id"] for b in blocks if b["type"] == "tool_result"}
            if not answered <= asked:
                raise WireError(
                    f"messages.{index}: unexpected tool_use_id found in tool_result blocks: "
                    f"{sorted(answered - asked)}"
                )
        if "tool_use" in kinds:
            if message["role"] != "assistant":
                raise WireError(f"messages.{index}: tool_use blocks belong to assistant turns")
            after = messages[index + 1]["content"] if index + 1 < len(messages) else ""
            answered = {
                b["tool_use_id"]
                for b in (after if isinstance(after, list) else [])
                if b["type"] == "tool_result"
            }
            missing = {b["id"] for b in blocks if b["type"] == "tool_use"} - answered
            if missing and index + 1 < len(messages):
                raise WireError(
                    f"messages.{index}: tool_use ids were found without tool_result blocks "
                    f"immediately after: {sorted(missing)}"
                )


def _check_anthropic_messages(body: dict[str, Any]) -> None:
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
            kinds = set(part) & {
                "text",
                "inlineData",
                "fileData",
                "functionCall",
                "functionResponse",
            }
            if len(kinds) != 1 or set(part) - kinds:
                raise WireError(f"{at}: a part holds exactly one data field, got {sorted(part)}")
            if "text" in part and not isinstance(part["text"], str):
                raise WireError(f"{at}.text: must be a string")
            if "inlineData" in part:
                blob = part["inlineData"]
                if set(blob) != {"mimeType", "data"}:
                    raise WireError(f"{at}.inlineData: takes mimeType and data, got {sorted(blob)}")
                _image(f"{at}.inlineData", blob["mimeType"], blob["data"])
            _check_function_part(part, at, content["role"])
    _check_call_turns(body["contents"])
    _check_gemini_tools(body)


def _check_function_part(part: dict[str, Any], at: str, role: str) -> None:
    call, response = part.get("functionCall"), part.get("functionResponse")
    if call is not None:
        if role != "model" or not isinstance(call, dict) or set(call) - {"name", "args", "id"}:
            raise WireError(f"{at}.functionCall: {{name, args}} in a model turn only")
        if not isinstance(call.get("args", {}), dict):
            raise WireError(f"{at}.functionCall.args: must be an object")
    if response is not None:
        keys = set(response) if isinstance(response, dict) else set()
        if role != "user" or not {"name", "response"} <= keys or keys - {"name", "response", "id"}:
            raise WireError(f"{at}.functionResponse: {{name, response}} in a user turn only")
        if not isinstance(response["response"], dict):
            raise WireError(f"{at}.functionResponse.response: must be an object")


def _check_call_turns(contents: list[dict[str, Any]]) -> None:
    for index, content in enumerate(contents):
        calls = [p for p in content["parts"] if "functionCall" in p]
        if not calls or index + 1 >= len(contents):
            continue
        responses = [p for p in contents[index + 1]["parts"] if "functionResponse" in p]
        if len(responses) != len(calls):
            raise WireError(
                f"contents[{index + 1}]: Please ensure that the number of function response "
                "parts is equal to the number of function call parts of the function call turn."
            )


def _check_gemini_tools(body: dict[str, Any]) -> None:
    for index, tool in enumerate(body.get("tools", [])):
        if set(tool) != {"functionDeclarations"}:
            raise WireError(f"tools[{index}]: only functionDeclarations here, got {sorted(tool)}")
        for number, declaration in enumerate(tool["functionDeclarations"]):
            at = f"tools[{index}].functionDeclarations[{number}]"
            if set(declaration) - _DECLARATION_KEYS:
                raise WireError(
                    f"{at}: unknown fields {sorted(set(declaration) - _DECLARATION_KEYS)}"
                )
            if not _GEMINI_NAME.fullmatch(str(declaration.get("name"))):
                raise WireError(f"{at}.name: invalid function name")
            if {"parameters", "parametersJsonSchema"} <= set(declaration):
                raise WireError(f"{at}: parameters and parametersJsonSchema are exclusive")
    config = body.get("toolConfig")
    if config is not None:
        calling = config.get("functionCallingConfig", {})
        if set(config) != {"functionCallingConfig"} or calling.get("mode") not in (
            "AUTO",
            "ANY",
            "NONE",
        ):
            raise WireError(f"toolConfig: invalid {config}")
        if "allowedFunctionNames" in calling and calling["mode"] != "ANY":
            raise WireError("toolConfig: allowedFunctionNames needs mode ANY")


def _image(where: str, media_type: str, data: str) -> None:
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise WireError(f"{where}: invalid base64 data: {exc}") from exc
    signatures = IMAGE_SIGNATURES.get(media_type.removeprefix("image/"))
    if signatures is not None and not raw.startswith(signatures):
        raise WireError(f"{where}: image does not match the provided media type {media_type}")
