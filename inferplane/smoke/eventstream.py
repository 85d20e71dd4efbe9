"""AWS event-stream framing (``application/vnd.amazon.eventstream``), the encoder side:
what Bedrock ConverseStream and SageMaker InvokeEndpointWithResponseStream answer with.
botocore ships only the decoder; the fakes need the encoder.

A message: total length, headers length (both u32), the CRC32 of those 8 bytes, headers
(name length u8, name, type 7 = string, value length u16, value), payload, CRC32 of all
of it."""

from __future__ import annotations

import struct
import zlib

__all__ = ["event", "message"]

_STRING = 7


def message(headers: dict[str, str], payload: bytes) -> bytes:
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event(event_type: str, payload: bytes, content_type: str = "application/json") -> bytes:
    """One ``:message-type event`` message of ``event_type``."""
    return message(
        {
            ":event-type": event_type,
            ":content-type": content_type,
            ":message-type": "event",
        },
        payload,
    )


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", _STRING, len(raw_value))
        + raw_value
    )
