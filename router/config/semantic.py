"""``cache.semantic`` of the RouterConfig: which embedder, how alike is a hit, how long
answers live and which routes use it."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from .base import Model

__all__ = ["HASHING", "TARGET_PREFIX", "SemanticCacheConfig", "reference_errors"]

HASHING = "hashing"
TARGET_PREFIX = "target:"


class SemanticCacheConfig(Model):
    """The semantic cache of one router (``router.semantic``); off unless ``enabled``."""

    enabled: bool = False
    embedder: str = Field(default=HASHING, pattern=r"^(hashing|target:.+)$")
    """``hashing``: words hashed in process (no model, no network: the dev default; it
    matches re-phrasings that share words). ``target:<name>``: the stack's target
    ``<name>`` embeds the last user turn through its ``/v1/embeddings`` API (OpenAI-
    compatible, Azure OpenAI, Bedrock Titan/Cohere, Vertex). A request whose data class
    that target may not receive skips the semantic cache: its text is never sent there."""
    threshold: float = Field(default=0.92, gt=0, le=1)
    """Cosine similarity at or above which an earlier answer is served."""
    ttl_s: int = Field(default=3600, ge=1, le=30 * 86_400)
    """How long a cached answer may be served."""
    routes: tuple[str, ...] | None = None
    """Routes whose requests use the cache (opt-in per route); None: every route."""
    max_entries: int = Field(default=10_000, ge=1, le=10_000_000)
    """Entries kept per partition (tenant, data class, route, conversation) in the shared
    store, and in all partitions together in each replica's in-memory copy."""
    timeout_s: float = Field(default=2.0, gt=0, le=60)
    """Longest wait for an embedding target; slower, the request skips the cache."""

    @property
    def target(self) -> str | None:
        """The embedding target's name, or None for the in-process embedder."""
        if self.embedder.startswith(TARGET_PREFIX):
            return self.embedder.removeprefix(TARGET_PREFIX)
        return None


def reference_errors(
    config: SemanticCacheConfig, targets: Collection[str], routes: Collection[str]
) -> list[str]:
    """What the semantic cache names that the RouterConfig does not define."""
    errors: list[str] = []
    target = config.target
    if target is not None and target not in targets:
        errors.append(
            f"cache.semantic.embedder names unknown target {target!r}; "
            f"defined: {', '.join(sorted(targets))}"
        )
    unknown = sorted(set(config.routes or ()) - set(routes))
    if unknown:
        errors.append(
            f"cache.semantic.routes names unknown routes {unknown}; defined: "
            f"{', '.join(sorted(routes))}"
        )
    return errors
