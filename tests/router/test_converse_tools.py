"""Function calling through the Converse translator (``router.converse``, shared by the
router's ``bedrock`` backend and the Lambda handler): every request it builds meets
botocore's bedrock-runtime model and Bedrock's own tool rules (``bedrock_rules``: toolConfig
with toolUse/toolResult, results paired with the previous turn's calls), a ``toolUse``
answer comes back as OpenAI ``tool_calls``, streamed as tool-call deltas; what Converse
cannot say is refused by name, nothing is dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from inferplane.router.converse import (
    StreamStep,
    StreamTranslation,
    TranslationError,
    to_completion,
    to_converse,
)
from inferplane.smoke.bedrock_rules import converse_problems
from tests.router.forecast_tool import FORECAST, SCHEMA
from tests.support.bedrock import MODEL, TOOL_ANSWER, TOOL_EVENTS, TOOL_INPUT, check_converse

TOOLS: Any = [
    FORECAST,
    {"type": "function", "function": {"name": "clock", "description": ""}},
]
SPECS = [
    {
        "toolSpec": {
            "name": "forecast",
            "description": "weather ahead",
            "inputSchema": {"json": SCHEMA},
        }
    },
    {"toolSpec": {"name": "clock", "inputSchema": {"json": {"type": "object", "properties": {}}}}},
]


def call(call_id: str, city: str) -> dict[str, Any]:
    arguments = json.dumps({"city": city})
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "forecast", "arguments": arguments},
    }


HISTORY: Any = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "weather in Bern and Zürich?"},
    {"role": "assistant", "content": "Looking.", "tool_calls": [call("call_1", "Bern")]},
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [call("call_2", "Zürich"), call("c3", "Chur")],
    },
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
    {"role": "tool", "tool_call_id": "c3", "content": ""},
    {"role": "user", "content": "and tomorrow?"},
]
TURNS = [
    {"role": "user", "content": [{"text": "weather in Bern and Zürich?"}]},
    {
        "role": "assistant",
        "content": [
            {"text": "Looking."},
            {"toolUse": {"toolUseId": "call_1", "name": "forecast", "input": {"city": "Bern"}}},
        ],
    },
    {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "call_1", "content": [{"text": "sunny"}]}}],
    },
    {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "call_2", "name": "forecast", "input": {"city": "Zürich"}}},
            {"toolUse": {"toolUseId": "c3", "name": "forecast", "input": {"city": "Chur"}}},
        ],
    },
    {  # consecutive results share one user turn, first, before the user's text
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "call_2", "content": [{"text": "rain"}]}},
            {"toolResult": {"toolUseId": "c3", "content": [{"text": " "}]}},
            {"text": "and tomorrow?"},
        ],
    },
]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, {"tools": SPECS}),  # Converse's default is auto: no toolChoice sent
        ("auto", {"tools": SPECS}),
        ("required", {"tools": SPECS, "toolChoice": {"any": {}}}),
        (
            {"type": "function", "function": {"name": "clock"}},
            {"tools": SPECS, "toolChoice": {"tool": {"name": "clock"}}},
        ),
    ],
)
def test_tools_choice_and_history_become_tool_config_and_blocks(
    choice: Any, expected: dict[str, Any]
) -> None:
    body = {"messages": HISTORY, "tools": TOOLS, "tool_choice": choice}
    request = to_converse(body, MODEL)
    assert request == {
        "modelId": MODEL,
        "messages": TURNS,
        "system": [{"text": "be brief"}],
        "toolConfig": expected,
    }
    check_converse("Converse", request)  # botocore's model, then Bedrock's own rules
    check_converse("ConverseStream", request)


def test_tool_choice_none_without_tool_history_sends_no_tool_config() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS, "tool_choice": "none"}
    request = to_converse(body, MODEL)
    assert "toolConfig" not in request
    check_converse("Converse", request)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"messages": HISTORY},
            "messages[2]: tool calls and results cannot be sent to Bedrock Converse without "
            "the request's tools (Converse needs toolConfig with them); allowed: the same "
            "request with its tools",
        ),
        (
            {"messages": HISTORY, "tools": TOOLS, "tool_choice": "none"},
            "tool_choice: 'none' cannot be sent to Bedrock Converse while messages[2] holds "
            "tool calls or results (Converse has no 'none' and needs the tools with them); "
            "allowed: auto, required, a function",
        ),
        (
            {"messages": HISTORY, "tools": TOOLS, "parallel_tool_calls": False},
            "parallel_tool_calls: false cannot be sent to Bedrock Converse (it has no such "
            "setting); allowed: true or not set",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"},
            "tool_choice: 'required' needs at least one tool in tools",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "web_search"}]},
            "tools[0]: a 'web_search' tool cannot be sent to this target; allowed: function",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "function_call": "auto"},
            "'function_call': legacy function calling cannot be sent to this target",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "function", "content": "y"}]},
            "messages[1]: a 'function' message (legacy function calling) cannot be sent",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]},
            "messages[1].tool_call_id: None answers no earlier tool call",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "x"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {**call("a", "B"), "function": {"name": "f", "arguments": "[1]"}}
                        ],
                    },
                ],
                "tools": TOOLS,
            },
            "messages[1].tool_calls[0].function.arguments: must be a JSON object",
        ),
    ],
)
def test_what_converse_cannot_say_is_refused_by_name(body: dict[str, Any], message: str) -> None:
    with pytest.raises(TranslationError) as caught:
        to_converse(body, MODEL)
    assert message in str(caught.value)


def _wire(messages: list[dict[str, Any]], config: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"modelId": MODEL, "messages": messages}
    if config is not None:
        body["toolConfig"] = config
    return body


def _use(call_id: str) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": call_id, "name": "forecast", "input": {}}}


def _result(call_id: str) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": "ok"}]}}


ASK = {"role": "user", "content": [{"text": "hi"}]}
CONFIG = {"tools": SPECS}


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (
            _wire(
                [
                    ASK,
                    {"role": "assistant", "content": [_use("a")]},
                    {"role": "user", "content": [_result("a")]},
                ],
                CONFIG,
            ),
            [],
        ),
        (
            _wire(
                [
                    ASK,
                    {"role": "assistant", "content": [_use("a")]},
                    {"role": "user", "content": [_result("a")]},
                ]
            ),
            [
                "The toolConfig field must be defined when using toolUse and toolResult "
                "content blocks."
            ],
        ),
        (
            _wire(
                [
                    ASK,
                    {"role": "assistant", "content": [_use("a"), _use("b")]},
                    {"role": "user", "content": [_result("a")]},
                ],
                CONFIG,
            ),
            ["Expected toolResult blocks at messages.2.content for the following Ids: b"],
        ),
        (
            _wire([{"role": "user", "content": [_result("a")]}], CONFIG),
            [
                "The number of toolResult blocks at messages.0.content exceeds the number of "
                "toolUse blocks of previous turn."
            ],
        ),
        (
            _wire([ASK], {"tools": [SPECS[0], SPECS[0]], "toolChoice": {"tool": {"name": "x"}}}),
            [
                "The toolConfig.tools names must be unique",
                "The tool x in toolChoice is not in toolConfig.tools",
            ],
        ),
    ],
)
def test_bedrock_tool_rules(body: dict[str, Any], problems: list[str]) -> None:
    assert converse_problems(body) == problems


def test_an_unanswered_call_is_refused_as_bedrock_refuses_it() -> None:
    """A request the translator builds from a history OpenAI itself would refuse (a call
    without its result) still meets Bedrock's rule in the fake, so it cannot pass."""
    body = {"messages": [*HISTORY[:3], {"role": "user", "content": "?"}], "tools": TOOLS}
    with pytest.raises(ClientError) as caught:
        check_converse("Converse", to_converse(body, MODEL))
    assert "Expected toolResult blocks at messages.2.content for the following Ids: call_1" in str(
        caught.value
    )


def test_a_tool_use_answer_becomes_tool_calls() -> None:
    completion = to_completion(TOOL_ANSWER, MODEL, "chatcmpl-1")
    arguments = json.dumps(TOOL_INPUT, ensure_ascii=False, separators=(",", ":"))
    assert completion["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Let me look.",
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "tooluse_1",
                        "type": "function",
                        "function": {"name": "forecast", "arguments": arguments},
                    }
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ]
    only_call = {
        **TOOL_ANSWER,
        "output": {
            "message": {
                "role": "assistant",
                "content": TOOL_ANSWER["output"]["message"]["content"][1:],
            }
        },
    }
    message = to_completion(only_call, MODEL)["choices"][0]["message"]
    assert message["content"] is None  # as OpenAI answers a call without text


def test_streamed_tool_use_becomes_tool_call_deltas() -> None:
    translation = StreamTranslation()
    steps = [step for event in TOOL_EVENTS if (step := translation.step(event)) is not None]
    assert steps == [
        StreamStep({"role": "assistant", "content": ""}),
        StreamStep({"content": "Let me look."}),
        StreamStep(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "tooluse_1",
                        "type": "function",
                        "function": {"name": "forecast", "arguments": ""},
                    }
                ]
            }
        ),
        StreamStep({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        StreamStep(
            {"tool_calls": [{"index": 0, "function": {"arguments": '"Zürich", "days": 2}'}}]}
        ),
        StreamStep({}, "tool_calls"),
    ]
    assert translation.finished
    assert translation.usage == (30, 12)
