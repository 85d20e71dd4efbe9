"""OpenAI chat messages as the turn-based APIs take them: system text apart, then user and
assistant turns that strictly alternate.

Bedrock's Converse, Anthropic's Messages and Gemini's ``generateContent`` all take the
system prompt outside the conversation and reject two consecutive turns of one role
(Converse: "A conversation must alternate between user and assistant roles"). OpenAI's
chat allows both, so every such backend folds the same way, here: ``system`` and
``developer`` messages become system text; ``assistant`` stays; ``user``, ``tool`` and
``function`` messages are the user's side; consecutive messages of one side merge into
one turn that keeps each message's text apart (each API joins them its own way).

Standard library only: the Lambda Converse handler ships this module in its zip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BLANK",
    "ROLES",
    "SYSTEM_ROLES",
    "Conversation",
    "Turn",
    "fold_messages",
    "message_text",
    "text_parts",
]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
"""The roles an OpenAI chat message may have."""
SYSTEM_ROLES = frozenset({"system", "developer"})
BLANK = " "
"""The text of a message without any: the APIs refuse empty text blocks, and dropping the
message could leave two turns of one side next to each other."""

Side = Literal["user", "assistant"]
ContentReader = Callable[[object, int], str]
"""``(content, message index) -> text``; may raise to refuse content it cannot send."""


@dataclass(slots=True)
class Turn:
    """One side's consecutive messages: their texts in order, never merged into one."""

    role: Side
    texts: list[str]


@dataclass(slots=True)
class Conversation:
    """A chat request's messages, folded."""

    system: list[str] = field(default_factory=list)
    """The system and developer messages' texts, in order."""
    turns: list[Turn] = field(default_factory=list)
    """Alternating user and assistant turns."""


def message_text(content: object) -> str:
    """Text of a message's ``content``: a string or a list of parts with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _lenient(content: object, index: int) -> str:
    return message_text(content)


def fold_messages(messages: Sequence[Any], read: ContentReader = _lenient) -> Conversation:
    """Fold validated OpenAI ``messages`` (objects with a string ``role``). ``read`` turns a
    message's content into text (default: ``message_text``, which skips non-text parts)."""
    folded = Conversation()
    for index, message in enumerate(messages):
        text = read(message.get("content"), index) or BLANK
        if message["role"] in SYSTEM_ROLES:
            folded.system.append(text)
            continue
        side: Side = "assistant" if message["role"] == "assistant" else "user"
        if folded.turns and folded.turns[-1].role == side:
            folded.turns[-1].texts.append(text)
        else:
            folded.turns.append(Turn(side, [text]))
    return folded


def text_parts(texts: Sequence[str]) -> list[dict[str, str]]:
    """``[{"text": ...}]``: the text block of Converse and the text part of Gemini."""
    return [{"text": text} for text in texts]
