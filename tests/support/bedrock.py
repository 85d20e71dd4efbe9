"""A bedrock-runtime client double for Converse (botocore's Stubber cannot carry an event
stream): records each call, refuses what boto3 or Bedrock would (``check_converse``:
botocore's client-side validation, then the request as it goes on the wire through the
smoke's one service check, ``inferplane.smoke.service_model``: the model's shape and
Bedrock's own rules, the same the smoke's fake Bedrock applies), answers with a Converse
answer or yields ConverseStream events as botocore does, or fails like Bedrock (a
``ClientError`` with Bedrock's code and HTTP status) before the call or midway through the
stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from inferplane.smoke.service_model import client_call, validate_request

__all__ = [
    "ANSWER",
    "EVENTS",
    "MODEL",
    "TOOL_ANSWER",
    "TOOL_EVENTS",
    "TOOL_INPUT",
    "FakeBedrock",
    "bedrock_error",
    "check_converse",
]

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ANSWER: dict[str, Any] = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hal"}, {"text": "lo"}]}},
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9},
    "metrics": {"latencyMs": 12},
}
EVENTS: list[dict[str, Any]] = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hal"}}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "lo"}}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {"messageStop": {"stopReason": "end_turn"}},
    {"metadata": {"usage": {"inputTokens": 4, "outputTokens": 2, "totalTokens": 6}}},
]

TOOL_INPUT: dict[str, Any] = {"city": "Zürich", "days": 2}
TOOL_ANSWER: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "Let me look."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "forecast", "input": TOOL_INPUT}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
    "metrics": {"latencyMs": 12},
}
"""A Converse answer calling ``forecast`` (text first, as Claude on Bedrock answers)."""
TOOL_EVENTS: list[dict[str, Any]] = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Let me look."}}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {
        "contentBlockStart": {
            "contentBlockIndex": 1,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "forecast"}},
        }
    },
    {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city": '}}}},
    {
        "contentBlockDelta": {
            "contentBlockIndex": 1,
            "delta": {"toolUse": {"input": '"Zürich", "days": 2}'}},
        }
    },
    {"contentBlockStop": {"contentBlockIndex": 1}},
    {"messageStop": {"stopReason": "tool_use"}},
    {"metadata": {"usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42}}},
]
"""The same answer as ConverseStream events, the call's input in two pieces."""


def bedrock_error(
    code: str, status: int, operation: str, message: str | None = None
) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message or f"{code} from Bedrock"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def check_converse(operation: str, request: dict[str, Any]) -> None:
    """Raise what a boto3 client (``ParamValidationError``) or Bedrock (a
    ``ValidationException``) would for ``request`` to ``operation``; return when Bedrock
    would take it."""
    call = client_call("bedrock-runtime", operation, request)
    _, problem = validate_request("bedrock-runtime", operation, call)
    if problem is not None:
        raise bedrock_error("ValidationException", 400, operation, problem)


class FakeBedrock:
    """``calls``: ``(operation, request)`` in order. ``failure`` (code, status) fails every
    call; ``stream_failure`` is raised after the stream's events."""

    def __init__(
        self,
        answer: dict[str, Any] = ANSWER,
        events: list[dict[str, Any]] = EVENTS,
        stream_failure: Exception | None = None,
    ) -> None:
        self.answer, self.events, self.stream_failure = answer, events, stream_failure
        self.failure: tuple[str, int] | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def converse(self, **request: Any) -> dict[str, Any]:
        self._call("Converse", request)
        return self.answer

    def converse_stream(self, **request: Any) -> dict[str, Any]:
        self._call("ConverseStream", request)
        return {"stream": self._stream()}

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [request for _, request in self.calls]

    def _call(self, operation: str, request: dict[str, Any]) -> None:
        self.calls.append((operation, request))
        check_converse(operation, request)
        if self.failure is not None:
            raise bedrock_error(*self.failure, operation)

    def _stream(self) -> Iterator[dict[str, Any]]:
        yield from self.events
        if self.stream_failure is not None:
            raise self.stream_failure
