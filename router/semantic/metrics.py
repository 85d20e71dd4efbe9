"""The semantic cache's metrics: what it answered, why it did not, and what that saved.

    inferplane_semantic_cache_total{route,result,reason}
        result hit    reason similar
        result miss   reason no_similar (nothing at the threshold), expired (answer gone)
        result skip   reason route (not opted in), conversation (no last user turn),
                      residency (the embedding target may not see the data class),
                      embedder_down, embed_error, state_unavailable
    inferplane_semantic_cache_saved_tokens_total{route,kind}   tokens the hits did not buy
    inferplane_semantic_cache_saved_usd_total{route}           at the answering target's price

Hit rate: hits / (hits + misses); skips say how much traffic could not use the cache.
"""

from __future__ import annotations

from collections import defaultdict

from ..metrics import Labels, counter_lines

__all__ = ["SemanticMetrics"]


class SemanticMetrics:
    def __init__(self) -> None:
        self.lookups: defaultdict[Labels, int] = defaultdict(int)
        self.saved_tokens: defaultdict[Labels, int] = defaultdict(int)
        self.saved_usd: defaultdict[Labels, float] = defaultdict(float)

    def lookup(self, route: str, result: str, reason: str) -> None:
        self.lookups[(("route", route), ("result", result), ("reason", reason))] += 1

    def saved(self, route: str, prompt: int, completion: int, usd: float) -> None:
        self.saved_tokens[(("route", route), ("kind", "prompt"))] += prompt
        self.saved_tokens[(("route", route), ("kind", "completion"))] += completion
        self.saved_usd[(("route", route),)] += usd

    def render(self) -> list[str]:
        lines: list[str] = []
        counter_lines(
            lines,
            "inferplane_semantic_cache_total",
            "Semantic cache lookups by result (hit, miss, skip) and reason.",
            self.lookups,
        )
        counter_lines(
            lines,
            "inferplane_semantic_cache_saved_tokens_total",
            "Tokens semantic cache hits did not buy.",
            self.saved_tokens,
        )
        counter_lines(
            lines,
            "inferplane_semantic_cache_saved_usd_total",
            "Estimated USD semantic cache hits saved (the answering target's token prices).",
            self.saved_usd,
        )
        return lines
