"""Protobuf Struct values from the engine protocol -> plain JSON values for the graph."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

__all__ = ["SECRET", "UNKNOWN", "plain"]

SECRET = "[secret]"
UNKNOWN = "[unknown]"

_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """The Struct as JSON values: secrets masked, unknowns marked, references as URNs."""
    value = _convert(json_format.MessageToDict(struct))
    return value if isinstance(value, dict) else {}


def _convert(value: Any) -> Any:
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig is not None:
            return _special(sig, value)
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    return value


def _special(sig: str, value: dict[str, Any]) -> Any:
    if sig == _SECRET_SIG:
        return SECRET
    if sig == _RESOURCE_SIG:
        return value.get("urn")
    if sig == _ASSET_SIG:
        return {"asset": value.get("path") or value.get("uri") or "<text>"}
    if sig == _ARCHIVE_SIG:
        return {"archive": value.get("path") or value.get("uri") or "<assets>"}
    if sig == _OUTPUT_SIG:
        if value.get("secret"):
            return SECRET
        return _convert(value["value"]) if "value" in value else UNKNOWN
    return {k: _convert(v) for k, v in value.items()}
