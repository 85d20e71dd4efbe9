"""OpenAI chat messages as the turn-based APIs take them: system text apart, then user and
assistant turns that strictly alternate.

Bedrock's Converse, Anthropic's Messages and Gemini's ``generateContent`` all take the
system prompt outside the conversation and reject two consecutive turns of one role
(Converse: "A conversation must alternate between user and assistant roles"). OpenAI's
chat allows both, so every such backend folds the same way, here: ``system`` and
``developer`` messages become system text; ``assistant`` stays; ``user``, ``tool`` and
``function`` messages are the user's side; consecutive messages of one side merge into
one turn that keeps each message's content apart (each API joins them its own way).

A message's content is read by ``router.content``: text and images, anything else refused
(never dropped). System text and assistant turns are text only: none of the three APIs
takes an image there.

Standard library only: the Lambda Converse handler ships this module in its zip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .content import ContentError, Segment, segments

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


@dataclass(slots=True)
class Turn:
    """One side's consecutive messages in order, never merged into one."""

    role: Side
    messages: list[list[Segment]]
    """Each message's segments: text and images in order; a message without content is
    ``[BLANK]``."""

    @property
    def texts(self) -> list[str] | None:
        """Each message's text when the turn holds no image (one text segment each)."""
        texts = [m[0] for m in self.messages if len(m) == 1 and isinstance(m[0], str)]
        return texts if len(texts) == len(self.messages) else None


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


def fold_messages(messages: Sequence[Any]) -> Conversation:
    """Fold validated OpenAI ``messages`` (objects with a string ``role``). Raises
    ``ContentError`` for a part no backend here can send, or an image where the APIs take
    text only (system, assistant)."""
    folded = Conversation()
    for index, message in enumerate(messages):
        role = message["role"]
        found = [piece or BLANK for piece in segments(message.get("content"), index)]
        if role in SYSTEM_ROLES or role == "assistant":
            image = next((p for p in found if not isinstance(p, str)), None)
            if image is not None:
                raise ContentError(
                    f"{image.where}: only user messages may hold images, not {role} messages"
                )
        if role in SYSTEM_ROLES:
            folded.system.append("\n".join(p for p in found if isinstance(p, str)))
            continue
        side: Side = "assistant" if role == "assistant" else "user"
        if folded.turns and folded.turns[-1].role == side:
            folded.turns[-1].messages.append(found)
        else:
            folded.turns.append(Turn(side, [found]))
    return folded


def text_parts(texts: Sequence[str]) -> list[dict[str, str]]:
    """``[{"text": ...}]``: the text block of Converse and the text part of Gemini."""
    return [{"text": text} for text in texts]
