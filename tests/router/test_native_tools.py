"""Function calling through the Anthropic and Vertex (Gemini) backends, with the official
clients against fakes that check each API's tool wire format (``native_wire``: the
anthropic SDK's ToolParam / ToolChoiceParam / tool_use / tool_result types, Gemini's
functionDeclarations / functionCall / functionResponse rules): tools, tool_choice, an
earlier call and its result reach each API in its own form; a call in the answer comes
back as OpenAI tool_calls, streamed too; what cannot be said is a 400 naming it, and
nothing is dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import KEY
from tests.router.fakes import LoopThread
from tests.router.forecast_tool import FORECAST, SCHEMA
from tests.router.native_fakes import TOOL_INPUT, Recorder, anthropic_app, vertex_app

TOOLS: Any = [FORECAST]
HISTORY: Any = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "weather in Bern and Zürich?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "forecast", "arguments": '{"city": "Bern"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "forecast", "arguments": '{"city": "Zürich"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
    {"role": "user", "content": "and tomorrow?"},
]


class Site:
    """``claude`` (Anthropic fake) and ``gemini`` (Vertex fake), each answering with a call
    of ``forecast``."""

    def __init__(self, loop: LoopThread) -> None:
        self.anthropic, self.vertex = Recorder(), Recorder()
        claude = loop.serve(anthropic_app(self.anthropic, tool="forecast")).url
        gemini = loop.serve(vertex_app(self.vertex, tool="forecast")).url + "/v1/models"
        public = ("public",)
        targets = {
            "claude": {**configs.target(claude, public), "backend": "anthropic", "url": claude},
            "gemini": {**configs.target(gemini, public), "backend": "vertex", "url": gemini},
        }
        routes = [{"name": n, "match": {"alias": n}, "targets": [n]} for n in targets]
        self.url = loop.serve(create_app(configs.config(targets, routes))).url
        self.openai = openai.OpenAI(base_url=f"{self.url}/v1", api_key=KEY, max_retries=0)
        self.claude = anthropic.Anthropic(base_url=self.url, api_key=KEY, max_retries=0)

    def close(self) -> None:
        self.openai.close()
        self.claude.close()


@pytest.fixture
def site(loop: LoopThread) -> Iterator[Site]:
    opened = Site(loop)
    yield opened
    opened.close()


def _sent(recorder: Recorder) -> dict[str, Any]:
    assert len(recorder.requests) == 1
    return recorder.requests[0][2]


def test_tools_and_history_reach_anthropic_as_tool_use_and_tool_result(site: Site) -> None:
    site.openai.chat.completions.create(
        model="claude",
        messages=HISTORY,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "forecast"}},
        parallel_tool_calls=False,
    )
    sent = _sent(site.anthropic)
    assert sent["tools"] == [
        {"name": "forecast", "description": "weather ahead", "input_schema": SCHEMA}
    ]
    assert sent["tool_choice"] == {
        "type": "tool",
        "name": "forecast",
        "disable_parallel_tool_use": True,
    }
    assert sent["messages"] == [
        {"role": "user", "content": "weather in Bern and Zürich?"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call_1", "name": "forecast", "input": {"city": "Bern"}},
                {
                    "type": "tool_use",
                    "id": "call_2",
                    "name": "forecast",
                    "input": {"city": "Zürich"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "rain"},
                {"type": "text", "text": "and tomorrow?"},
            ],
        },
    ]


def test_tools_and_history_reach_gemini_as_function_parts(site: Site) -> None:
    site.openai.chat.completions.create(
        model="gemini", messages=HISTORY, tools=TOOLS, tool_choice="required"
    )
    sent = _sent(site.vertex)
    assert sent["tools"] == [
        {
            "functionDeclarations": [
                {"name": "forecast", "description": "weather ahead", "parametersJsonSchema": SCHEMA}
            ]
        }
    ]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert sent["contents"] == [
        {"role": "user", "parts": [{"text": "weather in Bern and Zürich?"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "forecast", "args": {"city": "Bern"}}},
                {"functionCall": {"name": "forecast", "args": {"city": "Zürich"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "forecast", "response": {"content": "sunny"}}},
                {"functionResponse": {"name": "forecast", "response": {"content": "rain"}}},
                {"text": "and tomorrow?"},
            ],
        },
    ]


@pytest.mark.parametrize("model", ["claude", "gemini"])
def test_a_call_in_the_answer_is_an_openai_tool_call(site: Site, model: str) -> None:
    messages: Any = [{"role": "user", "content": "weather in Zürich?"}]
    answer = site.openai.chat.completions.create(model=model, messages=messages, tools=TOOLS)
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = [c.model_dump() for c in choice.message.tool_calls or ()]
    assert [
        (c["type"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
    ] == [("function", "forecast", TOOL_INPUT)]
    stream = site.openai.chat.completions.create(
        model=model, messages=messages, tools=TOOLS, stream=True
    )
    chunks = [c for c in stream if c.choices]
    deltas = [d for c in chunks for d in c.choices[0].delta.tool_calls or ()]
    assert {d.index for d in deltas} == {0}
    assert [d.function.name for d in deltas if d.function and d.function.name] == ["forecast"]
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert json.loads(arguments) == TOOL_INPUT
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_the_messages_api_round_trips_tools_through_anthropic(site: Site) -> None:
    answer = site.claude.messages.create(
        model="claude",
        max_tokens=64,
        tools=[{"name": "forecast", "description": "weather ahead", "input_schema": SCHEMA}],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "weather in Zürich?"}],
    )
    assert [(b.type, getattr(b, "input", None)) for b in answer.content] == [
        ("text", None),
        ("tool_use", TOOL_INPUT),
    ]
    assert answer.stop_reason == "tool_use"
    sent = _sent(site.anthropic)
    assert (sent["tools"][0]["input_schema"], sent["tool_choice"]) == (SCHEMA, {"type": "any"})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"tools": [{"type": "web_search"}]},
            "tools[0]: a 'web_search' tool cannot be sent to this target; allowed: function",
        ),
        (
            {"functions": [{"name": "f", "parameters": {}}]},
            "'functions': legacy function calling cannot be sent to this target; allowed: "
            "tools, tool_choice",
        ),
        (
            {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice: 'x' is not one of the request's tools",
        ),
    ],
)
@pytest.mark.parametrize("model", ["claude", "gemini"])
def test_what_cannot_be_said_is_a_400_naming_it(
    site: Site, model: str, extra: dict[str, Any], message: str
) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.chat.completions.create(model=model, messages=messages, extra_body=extra)
    assert caught.value.message.endswith(f"target {model!r} cannot take this request: {message}")
    assert (site.anthropic.requests, site.vertex.requests) == ([], [])


def test_gemini_refuses_a_single_call_request_and_an_unanswered_result(site: Site) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.chat.completions.create(
            model="gemini", messages=HISTORY, tools=TOOLS, parallel_tool_calls=False
        )
    assert "parallel_tool_calls: false cannot be sent to Gemini on Vertex AI" in (
        caught.value.message
    )
    stray: Any = [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "c9"}]
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.chat.completions.create(model="gemini", messages=stray)
    assert "messages[1].tool_call_id: 'c9' answers no earlier tool call" in caught.value.message
    assert site.vertex.requests == []


def test_streamed_calls_reach_messages_and_responses_clients(site: Site) -> None:
    tool: Any = {"name": "forecast", "input_schema": SCHEMA}
    with site.claude.messages.stream(
        model="claude",
        max_tokens=64,
        tools=[tool],
        messages=[{"role": "user", "content": "weather in Zürich?"}],
    ) as stream:
        final = stream.get_final_message()
    assert [(b.type, getattr(b, "input", None)) for b in final.content] == [
        ("text", None),
        ("tool_use", TOOL_INPUT),
    ]
    response = site.openai.responses.create(
        model="gemini",
        input="weather in Zürich?",
        tools=[{"type": "function", "name": "forecast", "parameters": SCHEMA, "strict": False}],
    )
    calls = [item.model_dump() for item in response.output if item.type == "function_call"]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [("forecast", TOOL_INPUT)]
