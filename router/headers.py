"""Request headers as the core reads them: always valid text.

HTTP header values are bytes. aiohttp decodes them as UTF-8 with surrogate escapes, a Lambda
event may carry any JSON string; either way a value can hold lone surrogates, which break
``str.encode``, ``orjson.dumps`` and log handlers far from where the header was read.
``SafeHeaders`` wraps the front's mapping once, in ``Gateway.handle``: every value read
through it is ASCII as sent, or has each character that is not encodable replaced by ``?``,
so a header can only ever be a wrong value (401, 400), never a crash (500).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

__all__ = ["SafeHeaders", "safe_value"]


def safe_value(value: str) -> str:
    """``value`` with every character that is not valid UTF-8 text replaced by ``?``."""
    if value.isascii():
        return value
    return value.encode("utf-8", "replace").decode("utf-8")


class SafeHeaders(Mapping[str, str]):
    """A read-only view of lower-case request headers whose values are always encodable.
    Values are cleaned when read (most headers are never looked at)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        return safe_value(self._raw[name])

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        value = self._raw.get(name)
        if value is None:
            return default
        return value if value.isascii() else safe_value(value)  # inline: the hot path

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)
