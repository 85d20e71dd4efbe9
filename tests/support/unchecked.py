"""Deliberately ill-typed input, named as such instead of silenced with ``type: ignore``."""

from __future__ import annotations

from typing import Any


def unchecked(value: object) -> Any:
    """``value`` with its static type erased: a test hands over what the type checker
    refuses (a string outside a Literal, a wrong shape) to prove the runtime check refuses
    it too. Use it only for that."""
    return value
