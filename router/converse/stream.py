"""ConverseStream events as OpenAI ``chat.completion.chunk`` deltas."""

from __future__ import annotations

from dataclasses import dataclass
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
    arrives (after ``messageStop``)."""

    finished: bool = False
    usage: tuple[int, int] = (0, 0)

    def step(self, event: dict[str, Any]) -> StreamStep | None:
        """The chunk ``event`` becomes, or None (usage, block bounds, non-text deltas)."""
        if "messageStart" in event:
            return StreamStep({"role": "assistant", "content": ""})
        if "contentBlockDelta" in event:
            text = event["contentBlockDelta"].get("delta", {}).get("text")
            return StreamStep({"content": text}) if text else None
        if "messageStop" in event:
            self.finished = True
            return StreamStep({}, finish_reason(event["messageStop"].get("stopReason")))
        if "metadata" in event:
            self.usage = usage_of(event["metadata"].get("usage"))
        return None
