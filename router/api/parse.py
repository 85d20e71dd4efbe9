"""Small validators the API translations share: errors name the field, the bad value's
JSON type and what is allowed, like ``router.chat``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import orjson

from ..errors import RequestError

__all__ = ["check_params", "json_object", "kind", "require", "text_only"]

T = TypeVar("T")

JSON_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    list: "an array",
    dict: "an object",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
}


def kind(value: object) -> str:
    if value is None:
        return "null"
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestError(f"request body must be a JSON object, got {kind(body)}")
    return body


def require(body: dict[str, Any], name: str, expected: type[T], where: str = "") -> T:
    """``body[name]``, which must be present and of type ``expected``."""
    path = f"{where}.{name}" if where else name
    if name not in body:
        raise RequestError(f"'{path}' is required", param=path)
    value = body[name]
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        wanted = JSON_TYPE_NAMES.get(expected, expected.__name__)
        raise RequestError(f"'{path}' must be {wanted}, got {kind(value)}", param=path)
    return value


def check_params(
    body: dict[str, Any], params: Mapping[str, tuple[type, ...]], nullable: Collection[str]
) -> None:
    """Every field of ``body`` is one of ``params`` with a value of one of its types
    (JSON ``null`` only for the ``nullable`` ones): the OpenAI API's own refusal of an
    unknown argument, and a wrong type named with what is allowed."""
    for name, value in body.items():
        allowed = params.get(name)
        if allowed is None:
            raise RequestError(f"unrecognized request argument supplied: {name}", param=name)
        if value is None and name in nullable:
            continue
        # bool is an int in Python; JSON true is not a number.
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join(JSON_TYPE_NAMES[t] for t in allowed)
            raise RequestError(f"'{name}' must be {names}, got {kind(value)}", param=name)


def text_only(value: Any, where: str, text_types: tuple[str, ...]) -> str:
    """A string, or an array of text blocks (``type`` one of ``text_types``) joined by
    newlines: where chat completions can carry text only (system prompts, tool results).
    Any other block is refused by name, never dropped: the model would answer without it."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise RequestError(
            f"'{where}' must be a string or an array of text blocks, got {kind(value)}",
            param=where,
        )
    texts: list[str] = []
    for index, block in enumerate(value):
        at = f"{where}[{index}]"
        found = block.get("type") if isinstance(block, dict) else None
        if found not in text_types:
            allowed = " or ".join(text_types)
            raise RequestError(
                f"'{at}.type' {found!r} cannot be sent here: only {allowed} blocks can "
                "(chat completions carry text only in this place)",
                param=f"{at}.type",
            )
        texts.append(require(block, "text", str, at))
    return "\n".join(texts)
