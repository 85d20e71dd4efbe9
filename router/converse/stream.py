"""ConverseStream events as OpenAI ``chat.completion.chunk`` deltas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .response import finish_reason, usage_of

__all__ = ["StreamStep", "StreamTranslation"]


@dataclass(frozen=True, slots=True)
class StreamStep:
    """One chunk to send: its ``delta`` and, on the last, the finish reason."""

    delta: dict[str, Any]
    finish_reason: str | None = None


@dataclass(slots=True)
class StreamTranslation:
    """One stream's state. ``finished`` turns true at ``messageStop`` (a stream that ends
    before it was cut short); ``usage`` is ``(prompt, completion)`` once ``metadata``
    arrives (after ``messageStop``). A ``toolUse`` block becomes one OpenAI tool call:
    its ``contentBlockStart`` the call's first delta (id, name, empty arguments), each
    ``toolUse.input`` piece an ``arguments`` delta of the same call ``index``."""

    finished: bool = False
    usage: tuple[int, int] = (0, 0)
    calls: dict[int, int] = field(default_factory=dict)
    """``contentBlockIndex`` of each tool use -> its OpenAI tool call index."""

    def step(self, event: dict[str, Any]) -> StreamStep | None:
        """The chunk ``event`` becomes, or None (usage, block bounds, reasoning deltas)."""
        if "contentBlockDelta" in event:
            found = event["contentBlockDelta"]
            delta = found.get("delta", {})
            text = delta.get("text")
            if text:
                return StreamStep({"content": text})
            piece = delta.get("toolUse", {}).get("input")
            call = self.calls.get(found.get("contentBlockIndex", 0))
            if piece and call is not None:
                return StreamStep(
                    {"tool_calls": [{"index": call, "function": {"arguments": piece}}]}
                )
            return None
        if "contentBlockStart" in event:
            found = event["contentBlockStart"]
            use = found.get("start", {}).get("toolUse")
            if use is None:
                return None
            index = self.calls[found.get("contentBlockIndex", 0)] = len(self.calls)
            function = {"name": use.get("name", ""), "arguments": ""}
            opened = {"index": index, "id": use.get("toolUseId", ""), "type": "function"}
            return StreamStep({"tool_calls": [{**opened, "function": function}]})
        if "messageStart" in event:
            return StreamStep({"role": "assistant", "content": ""})
        if "messageStop" in event:
            self.finished = True
            return StreamStep({}, finish_reason(event["messageStop"].get("stopReason")))
        if "metadata" in event:
            self.usage = usage_of(event["metadata"].get("usage"))
        return None
