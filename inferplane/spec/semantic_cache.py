"""``router.cache.semantic``: the semantic cache of the stack's router.

    semantic: true                       # the hashing embedder, every route
    semantic:
      embedder: target:titan-embed       # a target of this stack that embeds
      threshold: 0.9
      ttl_s: 3600
      routes: [faq]                      # opt-in per route (default: every route)

The embedding target is called for the last user turn of requests on those routes, under
the same residency rules as any request: a request whose data class may not go to that
target skips the semantic cache (``router.semantic``). With ``router.redis`` the cached
vectors and answers are shared by all replicas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from inferplane.errors import Issue
from inferplane.spec.base import SpecModel, Unique
from inferplane.spec.targets import BedrockTarget

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["SemanticCacheSpec", "semantic_cache_issues"]

_PATH = "router.cache.semantic"
_BEDROCK_EMBEDDINGS = (".titan-embed", "cohere.embed-")


class SemanticCacheSpec(SpecModel):
    """The semantic cache: which embedder, how similar is a hit, how long, which routes."""

    embedder: str = Field(default="hashing", pattern=r"^(hashing|target:[a-z0-9][a-z0-9-]*)$")
    """``hashing`` (in process, matches shared words; the dev default) or
    ``target:<name>``: a target of this stack that serves embeddings (OpenAI-compatible
    servers, Azure OpenAI, Bedrock Titan/Cohere embed, Vertex text-embedding)."""
    threshold: float = Field(default=0.92, gt=0, le=1)
    """Cosine similarity at or above which an earlier answer is served."""
    ttl_s: int = Field(default=3600, ge=1, le=30 * 86_400)
    routes: Unique[str] | None = None
    """Route names that use the cache; unset: every route."""

    @property
    def target(self) -> str | None:
        return self.embedder.removeprefix("target:") if self.embedder != "hashing" else None


def semantic_cache_issues(spec: StackSpec) -> Iterator[Issue]:
    semantic = spec.router.cache.semantic
    if semantic is None:
        return
    name = semantic.target
    if name is not None and name not in spec.targets:
        yield Issue(
            f"{_PATH}.embedder", f"unknown target; defined: {', '.join(spec.targets)}", name
        )
    elif name is not None:
        target = spec.targets[name]
        if isinstance(target, BedrockTarget) and not any(
            part in target.model for part in _BEDROCK_EMBEDDINGS
        ):
            yield Issue(
                f"{_PATH}.embedder",
                f"Bedrock target {name!r} runs {target.model!r}, not an embedding model; "
                "allowed: amazon.titan-embed-* or cohere.embed-* models",
                name,
            )
    routes = {spec.route_name(i) for i in range(len(spec.routes))}
    defined = ", ".join(sorted(routes))
    for i, route in enumerate(semantic.routes or ()):
        if route not in routes:
            yield Issue(f"{_PATH}.routes[{i}]", f"unknown route; defined: {defined}", route)
