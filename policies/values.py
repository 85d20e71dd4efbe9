"""Reading resource properties that may be unknown, secret or absent.

Offline plans mark unknown values as ``"[unknown]"`` and secrets as ``"[secret]"``
(``inferplane.plan.wire``); the CrossGuard adapter translates the engine's unknown
sentinels to the same marker. Rules read properties only through these helpers, so an
unknown value is never mistaken for a real one and never crashes a rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferplane.plan.wire import SECRET, UNKNOWN

__all__ = [
    "SECRET",
    "UNKNOWN",
    "as_bool",
    "as_number",
    "as_str",
    "get",
    "is_known",
    "strings",
]


def is_known(value: object) -> bool:
    """False for unknown and secret markers (values a rule cannot judge)."""
    return value not in (UNKNOWN, SECRET)


def get(props: object, path: str) -> Any:
    """``props`` at the dotted ``path`` (``a.b.0.c``); None when absent, UNKNOWN when a step
    on the way is unknown."""
    value: Any = props
    for step in path.split("."):
        if not is_known(value):
            return UNKNOWN
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit():
            index = int(step)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def as_str(value: object) -> str | None:
    """A known string, or None."""
    return value if isinstance(value, str) and is_known(value) else None


def as_number(value: object) -> float | None:
    """A known number (numbers arrive as floats; some providers use numeric strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and is_known(value):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_bool(value: object) -> bool | None:
    """A known boolean; pulumi-aws models some flags as ``"true"``/``"false"`` strings."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    return None


def strings(value: object, key: str | None = None) -> Iterator[tuple[str | None, str]]:
    """Every known string inside ``value`` with the mapping key it sits under."""
    if isinstance(value, str):
        if is_known(value):
            yield key, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
