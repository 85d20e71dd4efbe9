"""The ``hashing`` embedder: the semantic cache's zero-dependency default for dev.

It needs no model: word unigrams and bigrams are hashed into a fixed number of buckets
(signed, so collisions cancel rather than add up) and the vector is L2-normalised. It
catches re-phrasings that share most words, not meaning (use an embedding target for
that: ``router.semantic.embedders``), costs well under a microsecond per word and never
leaves the process. The hash is CRC-32, not Python's salted ``hash``, so every replica
computes the same vector for the same text and their vectors can be shared (Redis).
"""

from __future__ import annotations

import math
import re
import zlib
from itertools import pairwise

__all__ = ["DIMENSIONS", "hashing_embedder"]

_WORDS = re.compile(r"\w+")
DIMENSIONS = 256


def hashing_embedder(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    words = _WORDS.findall(text.lower())
    features = (*words, *(f"{a}\x00{b}" for a, b in pairwise(words)))
    for feature in features:
        code = zlib.crc32(feature.encode())
        vector[code % DIMENSIONS] += 1.0 if code & 0x100000 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector
