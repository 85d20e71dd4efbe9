"""The router's APIs besides chat completions, one module each, on the same core
(``service``: the router's own endpoints, models, health, readiness, metrics).

Each module translates its API's request into a chat request (or, for legacy completions
and embeddings, keeps its own body), runs it through ``Gateway.admit`` (API key, limits,
classification, residency) and the same target attempts, and translates the answer back.
Nothing here decides where a request may go: a restricted request reaches the same
targets whatever API it came in on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core import Gateway

__all__ = ["install"]


def install(gateway: Gateway) -> None:
    """Add every API's endpoints to ``gateway.endpoints``."""
    from . import completions, embeddings, messages, openapi, responses, service

    for module in (service, messages, responses, completions, embeddings, openapi):
        gateway.endpoints.update(module.endpoints(gateway))
