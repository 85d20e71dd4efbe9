"""Prefix-aware replica choice: requests that share a long prompt prefix go to the replica
whose KV cache already holds it, as long as that replica is not overloaded.

The prompt (messages in order, roles included) is cut into blocks of ``block_chars``
characters; block ``i`` is named by a hash chained over blocks ``0..i``, so one flat map
from block hash to the replicas that processed it works as a prefix trie (the approach of
the vLLM production-stack router and llm-d, on characters instead of tokens: the router
has no tokenizer, and equal text gives equal tokens). The longest run of leading blocks
that one replica holds picks it; the load bound of consistent hashing with bounded loads
(Mirrokni et al.) keeps a popular prefix from piling onto one replica: a replica takes a
request only while ``in_flight + 1 <= ceil(load_factor * (total + 1) / replicas)`` (the
least loaded replica always may): among those, the longest match wins, then the least
loaded.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PrefixIndex", "block_hashes", "prompt_text"]

_ROLE_END = "\x1e"
_MESSAGE_END = "\x1f"


def prompt_text(body: Mapping[str, Any]) -> str:
    """The text a server's prefix cache sees first: chat messages (roles and text parts) in
    order, else a completion's ``prompt`` or an embedding's ``input``."""
    messages = body.get("messages")
    if isinstance(messages, list):
        parts: list[str] = []
        for message in messages:
            if not isinstance(message, dict):
                continue
            parts.append(str(message.get("role", "")) + _ROLE_END)
            parts.append(_content_text(message.get("content")) + _MESSAGE_END)
        return "".join(parts)
    for field in ("prompt", "input"):
        value = body.get(field)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return str(value[0])
    return ""


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def block_hashes(text: str, block_chars: int) -> list[bytes]:
    """One hash per whole block of ``text``, each chained over the blocks before it (a
    trailing partial block is not cached by servers either)."""
    hashes: list[bytes] = []
    previous = b""
    for start in range(0, len(text) - block_chars + 1, block_chars):
        block = text[start : start + block_chars].encode("utf-8", "surrogatepass")
        previous = hashlib.blake2b(previous + block, digest_size=12).digest()
        hashes.append(previous)
    return hashes


class PrefixIndex:
    """Which replicas processed which prefix blocks, least recently used dropped first."""

    def __init__(self, max_blocks: int, load_factor: float) -> None:
        self.max_blocks = max_blocks
        self.load_factor = load_factor
        self._blocks: OrderedDict[bytes, set[str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._blocks)

    def depths(self, hashes: Sequence[bytes], replicas: Sequence[str]) -> dict[str, int]:
        """How many leading blocks of the prompt each replica holds."""
        depth = dict.fromkeys(replicas, 0)
        holding = set(replicas)
        for index, h in enumerate(hashes):
            holders = self._blocks.get(h)
            holding = holding & holders if holders is not None else set()
            if not holding:
                break
            for replica in holding:
                depth[replica] = index + 1
        return depth

    def choose(
        self, hashes: Sequence[bytes], replicas: Sequence[str], in_flight: Mapping[str, int]
    ) -> tuple[str, int]:
        """The replica for a prompt with ``hashes``, and how many blocks it holds: the
        longest match among the replicas within the load bound (the least loaded one
        always is), then the least loaded."""
        if not replicas:
            raise ValueError("no replicas to choose from")
        total = sum(in_flight.get(r, 0) for r in replicas)
        bound = math.ceil(self.load_factor * (total + 1) / len(replicas))
        depth = self.depths(hashes, replicas)
        fitting = [r for r in replicas if in_flight.get(r, 0) + 1 <= bound]
        chosen = min(fitting, key=lambda r: (-depth[r], in_flight.get(r, 0), _spread(hashes, r)))
        self.record(hashes, chosen)
        return chosen, depth[chosen]

    def record(self, hashes: Sequence[bytes], replica: str) -> None:
        """``replica`` processed (and now caches) these blocks."""
        for h in hashes:
            holders = self._blocks.get(h)
            if holders is None:
                self._blocks[h] = {replica}
            else:
                holders.add(replica)
                self._blocks.move_to_end(h)
        while len(self._blocks) > self.max_blocks:
            self._blocks.popitem(last=False)

    def forget(self, replica: str) -> None:
        """A replica left the set: its cache went with it."""
        for h in [h for h, holders in self._blocks.items() if replica in holders]:
            holders = self._blocks[h]
            holders.discard(replica)
            if not holders:
                del self._blocks[h]


def _spread(hashes: Sequence[bytes], replica: str) -> bytes:
    """Tie-break among equally loaded replicas by the prompt's first block (rendezvous
    hashing), so equal loads do not send every new prefix to the same replica."""
    seed = hashes[0] if hashes else b""
    return hashlib.blake2b(seed + replica.encode(), digest_size=8).digest()
