"""Endpoints only some targets serve (legacy completions, embeddings): which of an
admitted call's targets can take them, and the refusal when none can."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..backends import ChatBackend
from ..errors import RequestError
from .parse import kind

if TYPE_CHECKING:
    from ..core import Gateway
    from ..pipeline.call import Call

__all__ = ["keep_capable_targets", "text_inputs"]

T = TypeVar("T")


def keep_capable_targets(
    gateway: Gateway,
    call: Call,
    endpoint: str,
    capable: Callable[[ChatBackend], T | None],
    served_by: str,
) -> dict[str, T]:
    """Narrow ``call`` to its targets for which ``capable`` gives a handler (residency was
    decided already: this only removes targets). None left: a 400 naming each target's
    backend and ``served_by`` (which backends serve ``endpoint``)."""
    usable: dict[str, T] = {}
    for name in call.decision.targets:
        handler = capable(gateway.backends[name])
        if handler is not None:
            usable[name] = handler
    if not usable:
        backends = ", ".join(
            f"{name} ({gateway.config.targets[name].backend})" for name in call.decision.targets
        )
        refusal = RequestError(
            f"{endpoint} is served by {served_by} only; route {call.decision.route.name!r} "
            f"may send this request to: {backends}",
            param="model",
            code="endpoint_not_supported",
        )
        refusal.route = call.decision.route.name
        refusal.data_class = call.classification.data_class
        raise refusal
    call.decision = replace(call.decision, targets=tuple(usable))
    return usable


def text_inputs(value: Any, name: str) -> list[str]:
    """A string or an array of strings. Token arrays are refused: the router scans text
    for PII before it decides where a request may go, and tokens cannot be scanned."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise RequestError(
        f"'{name}' must be a string or a non-empty array of strings, got {kind(value)} "
        "(token arrays are not accepted: the router scans text for PII)",
        param=name,
    )
