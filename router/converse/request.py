"""An OpenAI chat request as the keyword arguments of ``converse`` / ``converse_stream``."""

from __future__ import annotations

from typing import Any

from ..content import ContentError, ImageUrl, refusal
from ..tools import ToolCall, ToolPiece, ToolResult, fold_with_tools, read_choice, read_tools
from ..turns import BLANK, ROLES, Turn, text_parts
from .tools import tool_block, tool_config

__all__ = [
    "IMAGE_FORMATS",
    "TEMPERATURE_RANGE",
    "TranslationError",
    "inference_config",
    "to_converse",
]

TEMPERATURE_RANGE = (0.0, 1.0)
"""Converse's ``inferenceConfig.temperature`` range, the same for every model (botocore's
bedrock-runtime service model: min 0, max 1; Bedrock answers ValidationException outside
it). OpenAI's is 0..2: a higher value is clamped to Converse's maximum, the most random
setting the model has, rather than refused; values up to 1 mean the same on both."""
TOP_P_RANGE = (0.0, 1.0)
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
"""Media type -> Converse ``ImageBlock.format`` (botocore's ``ImageFormat`` enum). Converse
takes image bytes (or an S3 object the deployment's role reads: never offered to callers),
no URL: an ``http(s)`` image is refused, not fetched by the router."""
_ACCEPTED = frozenset(IMAGE_FORMATS)


class TranslationError(ValueError):
    """The request cannot be said in Converse; the message names the field and why."""


def to_converse(body: Any, model_id: str) -> dict[str, Any]:
    """``converse(**request)`` arguments for the OpenAI chat ``body``. System and developer
    messages become ``system`` blocks; the rest alternates user/assistant turns, one text
    block per message and one ``image`` block per image, in order (Converse rejects two
    consecutive turns of one role); function calling as ``converse.tools`` says."""
    messages = _messages(body)
    try:
        folded = fold_with_tools(messages)
        turns = [{"role": turn.role, "content": _content(turn)} for turn in folded.turns]
        tools = read_tools(body)
        tools_config = tool_config(tools, read_choice(body, tools), _tool_history(messages))
    except ContentError as exc:
        raise TranslationError(str(exc)) from exc
    request: dict[str, Any] = {"modelId": model_id, "messages": turns}
    if folded.system:
        request["system"] = text_parts(folded.system)
    if tools_config is not None:
        request["toolConfig"] = tools_config
    config = inference_config(body)
    if config:
        request["inferenceConfig"] = config
    return request


def inference_config(body: dict[str, Any]) -> dict[str, Any]:
    """``inferenceConfig`` from OpenAI's sampling fields; empty when none is set."""
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens")
    name = "max_completion_tokens"
    if max_tokens is None:
        max_tokens, name = body.get("max_tokens"), "max_tokens"
    if max_tokens is not None:
        if not _is_int(max_tokens) or max_tokens < 1:
            raise TranslationError(f"{name}: must be an integer >= 1, got {max_tokens!r}")
        config["maxTokens"] = max_tokens
    for ours, theirs, bounds in (
        ("temperature", "temperature", TEMPERATURE_RANGE),
        ("top_p", "topP", TOP_P_RANGE),
    ):
        value = body.get(ours)
        if value is not None:
            config[theirs] = _clamped(ours, value, bounds)
    stops = _stop_sequences(body.get("stop"))
    if stops:
        config["stopSequences"] = stops
    return config


def _messages(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise TranslationError("body must be a JSON object with a messages list")
    messages: list[dict[str, Any]] = body["messages"]
    if not messages:
        raise TranslationError("messages: must hold at least one message")
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            allowed = ", ".join(sorted(ROLES))
            raise TranslationError(f"messages[{index}].role: {role!r} is not one of {allowed}")
    return messages


def _tool_history(messages: list[dict[str, Any]]) -> str | None:
    """``messages[i]``, the first message with tool calls or a tool result, or None."""
    for index, message in enumerate(messages):
        if message["role"] == "tool" or (
            message["role"] == "assistant" and message.get("tool_calls")
        ):
            return f"messages[{index}]"
    return None


def _content(turn: Turn[ToolPiece]) -> list[dict[str, Any]]:
    """A turn's blocks in order, except that a user turn's tool results come first and
    stand for a message without text (Bedrock pairs them with the previous turn's
    toolUse blocks, as Anthropic's Messages API does)."""
    pieces = [piece for message in turn.messages for piece in message]
    results = [p for p in pieces if isinstance(p, ToolResult)]
    rest = [p for p in pieces if not isinstance(p, ToolResult)]
    return [_block(piece) for piece in results + rest if not (results and piece == BLANK)]


def _block(segment: ToolPiece) -> dict[str, Any]:
    """A Converse ``ContentBlock``: text, a tool use or result, or an image as bytes
    (boto3 base64-encodes)."""
    if isinstance(segment, ToolCall | ToolResult):
        return tool_block(segment)
    if isinstance(segment, str):
        return {"text": segment}
    if isinstance(segment, ImageUrl) or segment.media_type not in IMAGE_FORMATS:
        raise ContentError(refusal(segment, "Bedrock Converse", _ACCEPTED, urls=False))
    image_format = IMAGE_FORMATS[segment.media_type]
    return {"image": {"format": image_format, "source": {"bytes": segment.decoded()}}}


def _clamped(name: str, value: object, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TranslationError(f"{name}: must be a number, got {value!r}")
    return min(max(float(value), bounds[0]), bounds[1])


def _stop_sequences(stop: object) -> list[str]:
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise TranslationError(f"stop: must be a string or a list of strings, got {stop!r}")
    # Converse refuses an empty stop sequence (min length 1); OpenAI ignores it.
    return [s for s in stops if s]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
