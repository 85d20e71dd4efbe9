"""Endpoints only OpenAI-protocol targets serve (legacy completions, embeddings): which of
an admitted call's targets can take them, and the refusal when none can."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from router.api.parse import kind
from router.backends.openai_compat import OpenAICompatBackend
from router.errors import RequestError

if TYPE_CHECKING:
    from router.core import Call, Gateway

__all__ = ["keep_openai_targets", "text_inputs"]


def keep_openai_targets(
    gateway: Gateway, call: Call, endpoint: str
) -> dict[str, OpenAICompatBackend]:
    """Narrow ``call`` to its targets that speak the OpenAI protocol (residency was decided
    already: this only removes targets). None left: a 400 naming each target's backend."""
    usable: dict[str, OpenAICompatBackend] = {}
    for name in call.decision.targets:
        backend = gateway.backends[name]
        if isinstance(backend, OpenAICompatBackend):
            usable[name] = backend
    if not usable:
        backends = ", ".join(
            f"{name} ({gateway.config.targets[name].backend})" for name in call.decision.targets
        )
        refusal = RequestError(
            f"{endpoint} is served by OpenAI-compatible and Azure OpenAI targets only; route "
            f"{call.decision.route.name!r} may send this request to: {backends}",
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
