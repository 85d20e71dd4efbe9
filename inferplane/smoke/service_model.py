"""Requests checked against botocore's model of an AWS service, as the service's front end
checks them: the operation's HTTP method and URI template (``/model/{modelId}/converse``),
the URI members' constraints, and the JSON body against the input shape (required and
unknown members, types, enums, lengths, ranges, patterns, unions with exactly one member
set, base64 blobs, free-form documents).

For the fakes of restJson services (Bedrock runtime): a router or handler that sends what
the real service would refuse is refused here with the member's path, like the service's
``ValidationException``. botocore's own client-side validation works on Python values
before serialisation; this checks the bytes on the wire. After the shape, the service's
own rules that the model cannot say (``SERVICE_RULES``: Bedrock's in ``bedrock_rules``).
A double that stands in for a boto3 client takes Python values: ``client_call`` turns them
into the request that client would send, so it meets the same check."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlencode

from inferplane.smoke.bedrock_rules import converse_problems
from inferplane.smoke.server import Call

__all__ = [
    "SERVICE_RULES",
    "client_call",
    "operation_model",
    "shape_problems",
    "validate_request",
]

SERVICE_RULES: dict[tuple[str, str], Callable[[dict[str, Any]], list[str]]] = {
    ("bedrock-runtime", "Converse"): converse_problems,
    ("bedrock-runtime", "ConverseStream"): converse_problems,
}
"""The rules a service applies beyond its model, by (service, operation): run on a body
that fits the shape, their problems refused like the shape's."""


@lru_cache(maxsize=8)
def _service(service: str) -> Any:
    from botocore.session import get_session

    return get_session().get_service_model(service)


def operation_model(service: str, operation: str) -> Any:
    """botocore's ``OperationModel`` of ``service``'s ``operation``."""
    return _service(service).operation_model(operation)


def _uri_pattern(template: str) -> re.Pattern[str]:
    """``/model/{modelId}/converse`` -> a regex with one group per label (``{x+}``
    greedy, as in the Smithy HTTP binding)."""
    out, last = "", 0
    for label in re.finditer(r"\{([A-Za-z0-9_]+)(\+?)\}", template):
        out += re.escape(template[last : label.start()])
        out += f"(?P<{label[1]}>.+)" if label[2] else f"(?P<{label[1]}>[^/]+)"
        last = label.end()
    return re.compile(out + re.escape(template[last:]))


def validate_request(service: str, operation: str, call: Call) -> tuple[dict[str, str], str | None]:
    """The URI members of ``call`` for ``service``'s ``operation`` and None when the call
    is that operation and valid, else ``({}, why not)``."""
    model = operation_model(service, operation)
    if call.method != model.http["method"]:
        return {}, f"{call.method} is not {model.http['method']} for {operation}"
    raw_path = call.target.partition("?")[0]
    match = _uri_pattern(model.http["requestUri"].partition("?")[0]).fullmatch(raw_path)
    if match is None:
        return {}, f"path {call.path} is not {model.http['requestUri']} ({operation})"
    labels = {name: unquote(value) for name, value in match.groupdict().items()}
    shape = model.input_shape
    problems: list[str] = []
    body_members = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "uri":
            _check(member, labels.get(member.serialization.get("name", name)), name, problems)
        elif location is None:
            body_members[name] = member
    body = call.json()
    if not isinstance(body, dict):
        problems.append("the body is not a JSON object")
    else:
        _structure(shape, body, "", problems, members=body_members)
    rules = SERVICE_RULES.get((service, operation))
    if not problems and rules is not None and isinstance(body, dict):
        problems = rules(body)
    if problems:
        return {}, f"{len(problems)} validation error(s) detected: " + "; ".join(problems[:5])
    return labels, None


def client_call(service: str, operation: str, params: dict[str, Any]) -> Call:
    """The HTTP request a boto3 client sends for ``operation(**params)``: botocore's own
    parameter validation (``ParamValidationError``, as the client raises it) and
    serializer, so a double that takes Python values checks the bytes on the wire."""
    from botocore.serialize import create_serializer

    model = _service(service)
    serializer = create_serializer(model.metadata["protocol"], include_validation=True)
    request = serializer.serialize_to_request(params, model.operation_model(operation))
    query = urlencode(request["query_string"], doseq=True) if request["query_string"] else ""
    target = request["url_path"] + (f"?{query}" if query else "")
    headers = {name.lower(): str(value) for name, value in request["headers"].items()}
    body = request["body"]
    return Call(
        request["method"], target, headers, body.encode() if isinstance(body, str) else body
    )


def shape_problems(shape: Any, value: object) -> list[str]:
    """Why ``value`` (JSON as on the wire) does not fit botocore ``shape``; [] when it does."""
    problems: list[str] = []
    _check(shape, value, "", problems)
    return problems


def _at(path: str, name: str | int) -> str:
    return f"{path}.{name}" if path else str(name)


def _structure(
    shape: Any,
    value: dict[str, Any],
    path: str,
    problems: list[str],
    members: dict[str, Any] | None = None,
) -> None:
    members = shape.members if members is None else members
    for name in value:
        if name not in members:
            problems.append(f"unknown member {_at(path, name)!r}; allowed: {', '.join(members)}")
    for name in shape.required_members:
        if name in members and value.get(name) is None:
            problems.append(f"member {_at(path, name)!r} is required")
    present = [name for name in members if value.get(name) is not None]
    if shape.metadata.get("union") and len(present) != 1:
        allowed = ", ".join(members)
        problems.append(
            f"{path or 'the body'} must set exactly one of {allowed}; it sets {present or 'none'}"
        )
    for name in present:
        _check(members[name], value[name], _at(path, name), problems)


def _check(shape: Any, value: object, path: str, problems: list[str]) -> None:
    """Append to ``problems`` why ``value`` at ``path`` does not fit ``shape``."""
    if shape.metadata.get("document"):
        return  # free-form JSON
    kind = shape.type_name
    checker = _CHECKS.get(kind)
    if checker is None:
        problems.append(f"{path}: the fake cannot check shape type {kind!r}")
        return
    why = checker(shape, value, path, problems)
    if why is not None:
        problems.append(f"value at {path!r} {why}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sized(shape: Any, size: int, unit: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        return f"has {size} {unit}, at least {low} allowed"
    if high is not None and size > high:
        return f"has {size} {unit}, at most {high} allowed"
    return None


def _string(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, str):
        return f"is {type(value).__name__}, a string is required"
    if shape.enum and value not in shape.enum:
        return f"is {value!r}; allowed: {', '.join(shape.enum)}"
    pattern = shape.metadata.get("pattern")
    # Smithy patterns are not anchored: the value must contain a match.
    if pattern is not None and re.search(pattern, value) is None:
        return f"{value!r} does not match the pattern {pattern!r}"
    return _sized(shape, len(value), "characters")


def _number(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    integral = shape.type_name in ("integer", "long")
    if not (_is_int(value) or (not integral and isinstance(value, float))):
        return f"is {value!r}, {'an integer' if integral else 'a number'} is required"
    assert isinstance(value, int | float)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"is {value}, allowed {'' if low is None else low}..{'' if high is None else high}"
    return None


def _boolean(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    return None if isinstance(value, bool) else f"is {value!r}, a boolean is required"


def _blob(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, str):
        return "is not a base64 string (a blob on the JSON wire)"
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return _sized(shape, len(data), "bytes")


def _timestamp(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    ok = isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))
    return None if ok else f"is {value!r}, a timestamp is required"


def _list(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, list):
        return f"is {type(value).__name__}, a list is required"
    for index, item in enumerate(value):
        _check(shape.member, item, f"{path}.{index}.member", problems)
    return _sized(shape, len(value), "items")


def _map(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, dict):
        return f"is {type(value).__name__}, a map is required"
    for key, item in value.items():
        _check(shape.key, key, f"{path}.key", problems)
        _check(shape.value, item, f"{path}.{key}", problems)
    return _sized(shape, len(value), "entries")


def _struct(shape: Any, value: object, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, dict):
        return f"is {type(value).__name__}, an object is required"
    _structure(shape, value, path, problems)
    return None


_CHECKS = {
    "string": _string,
    "integer": _number,
    "long": _number,
    "float": _number,
    "double": _number,
    "boolean": _boolean,
    "blob": _blob,
    "timestamp": _timestamp,
    "list": _list,
    "map": _map,
    "structure": _struct,
}
