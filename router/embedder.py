"""Embedders for the semantic cache, by name.

The default ``hashing`` embedder needs no model: word unigrams and bigrams are hashed into
a fixed number of buckets (signed, so collisions cancel rather than add up) and the vector
is L2-normalised. It catches re-phrasings that share most words, costs about 0.1 µs per
word and never leaves the process. It uses Python's salted ``hash``, so its vectors are
only comparable within one process: exactly the semantic cache's scope. A real embedding
model can be registered under another name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from itertools import pairwise

__all__ = ["EMBEDDERS", "Embedder", "hashing_embedder", "register_embedder"]

Embedder = Callable[[str], Sequence[float]]
"""Text to a unit-length vector; every vector of one embedder has the same length."""

_WORDS = re.compile(r"\w+")
DIMENSIONS = 256


def hashing_embedder(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    words = _WORDS.findall(text.lower())
    for feature in (*words, *pairwise(words)):
        code = hash(feature)
        vector[code % DIMENSIONS] += 1.0 if code & 0x100000 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"hashing": lambda: hashing_embedder}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Make an embedder available to ``cache.semantic.embedder`` in the config."""
    EMBEDDERS[name] = factory
