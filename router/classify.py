"""Classification: what a request is, before deciding where it may go.

    data class      the key's binding (its first data class; ``default_data_class`` for a
                    key without one and when auth is off), or the header
                    ``x-inferplane-data-class`` when it names a stricter class (higher rank)
                    or one the key is granted (``KeyConfig.data_classes``); then raised to
                    ``pii_data_class`` when any string the client sent carries PII (every
                    field, normalised: ``ChatRequest.client_view``). A header never
                    lowers the class below the floor on its own: that is a 403.
    latency budget  header ``x-inferplane-latency-budget-ms`` (positive integer).
    tier            the requested model when it names a tier (``simple``, ``moderate``,
                    ``complex``), else a cheap heuristic over length and a few keywords.
    alias           the requested ``model``, matched against routes' ``match.alias``.

Raising on PII is the safe direction, so it also applies when the key may not itself
declare the raised class: its request then goes only where that class is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from .chat import ChatRequest
from .config import KeyConfig, RouterConfig
from .errors import PermissionDeniedError, RequestError
from .pii import PiiRegistry

__all__ = [
    "DATA_CLASS_HEADER",
    "LATENCY_HEADER",
    "Classification",
    "Classifier",
    "estimate_tier",
]

Tier = Literal["simple", "moderate", "complex"]
TIERS: frozenset[str] = frozenset({"simple", "moderate", "complex"})
DATA_CLASS_HEADER = "x-inferplane-data-class"
LATENCY_HEADER = "x-inferplane-latency-budget-ms"

# Words that signal multi-step reasoning; searched only in the last user message's head.
# Substring tests (C speed) rule most prompts out; the regex confirms word boundaries
# ("improve" contains "prove").
_COMPLEX_STEMS = (
    "prov",
    "proof",
    "deriv",
    "step",
    "analy",
    "architect",
    "refactor",
    "optimi",
    "debug",
    "trade",
    "contrast",
    "design",
    "algorithm",
)
_COMPLEX_WORDS = re.compile(
    r"\b(?:prove|proof|derive|step[- ]by[- ]step|analy[sz]e|architect|refactor|optimi[sz]e|"
    r"debug|trade-?offs?|compare and contrast|design a|algorithm)\b",
    re.IGNORECASE,
)
_HEAD = 4096
_SIMPLE_CHARS = 600
_COMPLEX_CHARS = 8000


@dataclass(frozen=True, slots=True)
class Classification:
    data_class: str
    declared_data_class: str
    pii: tuple[str, ...]
    latency_budget_ms: int | None
    tier: Tier
    alias: str


def estimate_tier(text: str, last_user_text: str) -> Tier:
    if len(text) > _COMPLEX_CHARS or _asks_for_reasoning(last_user_text[:_HEAD]):
        return "complex"
    return "simple" if len(text) < _SIMPLE_CHARS else "moderate"


def _asks_for_reasoning(head: str) -> bool:
    lowered = head.lower()
    for stem in _COMPLEX_STEMS:  # a plain loop: a generator under any() costs a resume per stem
        if stem in lowered:
            return _COMPLEX_WORDS.search(lowered) is not None
    return False


class Classifier:
    """Classifies requests against one RouterConfig."""

    def __init__(self, config: RouterConfig, pii: PiiRegistry | None = None) -> None:
        self._config = config
        self._pii = pii if pii is not None else PiiRegistry()
        self._ranks = {name: dc.rank for name, dc in config.data_classes.items()}

    def classify(
        self, request: ChatRequest, key: KeyConfig | None, headers: Mapping[str, str]
    ) -> Classification:
        declared = self._declared_data_class(key, headers.get(DATA_CLASS_HEADER))
        data_class, pii = declared, cast(tuple[str, ...], ())
        target_class = self._config.pii_data_class
        if target_class is not None and self._ranks[target_class] > self._ranks[declared]:
            pii = self._pii.scan(request.client_view())
            if pii:
                data_class = target_class
        tier = cast(Tier, request.model) if request.model in TIERS else None
        return Classification(
            data_class=data_class,
            declared_data_class=declared,
            pii=pii,
            latency_budget_ms=_latency_budget(headers.get(LATENCY_HEADER)),
            tier=tier or estimate_tier(request.text, request.last_user_text),
            alias=request.model,
        )

    def _declared_data_class(self, key: KeyConfig | None, header: str | None) -> str:
        granted = key.data_classes if key is not None else ()
        floor = granted[0] if granted else self._config.default_data_class
        if header is None or header == floor:
            return floor
        rank = self._ranks.get(header)
        if rank is None:
            known = ", ".join(sorted(self._ranks))
            raise RequestError(
                f"header {DATA_CLASS_HEADER} names unknown data class {header!r}; known: {known}",
                param=DATA_CLASS_HEADER,
            )
        if rank > self._ranks[floor] or header in granted:
            return header  # stricter is always safe; a lower class only when granted
        who = f"API key {key.id!r}" if key is not None else "a request without an API key"
        allowed = sorted({floor, *granted} | self._stricter_than(floor))
        raise PermissionDeniedError(
            f"{who} may not send data class {header!r} (below its class {floor!r}); "
            f"allowed: {', '.join(allowed)}",
            code="data_class_not_allowed",
        )

    def _stricter_than(self, floor: str) -> set[str]:
        return {name for name, rank in self._ranks.items() if rank > self._ranks[floor]}


def _latency_budget(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) <= 0:
        raise RequestError(
            f"header {LATENCY_HEADER} must be a positive integer of milliseconds, got {value!r}",
            param=LATENCY_HEADER,
        )
    return int(value)
