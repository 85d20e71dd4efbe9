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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from .content import ContentError, Segment, segments

__all__ = [
    "BLANK",
    "ROLES",
    "SYSTEM_ROLES",
    "Conversation",
    "Turn",
    "fold",
    "fold_messages",
    "message_segments",
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
Piece = TypeVar("Piece")
"""What a message becomes: ``Segment`` (text, images), or more for a backend that also
renders tool calls (``router.tools``)."""


@dataclass(slots=True)
class Turn(Generic[Piece]):
    """One side's consecutive messages in order, never merged into one."""

    role: Side
    messages: list[list[Piece]]
    """Each message's segments: text and images in order; a message without content is
    ``[BLANK]``."""

    @property
    def texts(self) -> list[str] | None:
        """Each message's text when the turn holds no image (one text segment each)."""
        texts: list[str] = []
        for message in self.messages:
            if len(message) != 1 or not isinstance(message[0], str):
                return None
            texts.append(message[0])
        return texts


@dataclass(slots=True)
class Conversation(Generic[Piece]):
    """A chat request's messages, folded."""

    system: list[str] = field(default_factory=list)
    """The system and developer messages' texts, in order."""
    turns: list[Turn[Piece]] = field(default_factory=list)
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


def fold_messages(messages: Sequence[Any]) -> Conversation[Segment]:
    """Fold validated OpenAI ``messages`` (objects with a string ``role``). Raises
    ``ContentError`` for a part no backend here can send, or an image where the APIs take
    text only (system, assistant)."""
    return fold(messages, message_segments)


def message_segments(message: Any, index: int) -> list[Segment]:
    """Message ``index``'s content as segments (``[BLANK]`` without any); an image outside
    a user message is a ``ContentError``."""
    role = message["role"]
    found = [piece or BLANK for piece in segments(message.get("content"), index)]
    if role in SYSTEM_ROLES or role == "assistant":
        image = next((p for p in found if not isinstance(p, str)), None)
        if image is not None:
            raise ContentError(
                f"{image.where}: only user messages may hold images, not {role} messages"
            )
    return found


def fold(messages: Sequence[Any], read: Callable[[Any, int], list[Piece]]) -> Conversation[Piece]:
    """Fold ``messages``, each read into pieces by ``read(message, index)``: system text
    apart, consecutive messages of one side in one turn."""
    folded: Conversation[Piece] = Conversation()
    for index, message in enumerate(messages):
        role = message["role"]
        found = read(message, index)
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
