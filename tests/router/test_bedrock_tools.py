"""Function calling through the router's ``bedrock`` backend, with the official openai and
anthropic clients, against a bedrock-runtime double that checks every request against
botocore's model and Bedrock's own tool rules (``tests.support.bedrock``): tools, tool
choice, earlier calls and their results reach Converse as toolConfig / toolUse /
toolResult; a toolUse answer reaches chat, /v1/messages and /v1/responses clients as their
own tool calls, streamed too; what Converse cannot say is a 400 naming it before any call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from inferplane.router.app import create_app
from inferplane.router.backends import BackendContext
from inferplane.router.backends.bedrock import BedrockBackend
from tests.router import configs
from tests.router.configs import KEY
from tests.router.fakes import LoopThread
from tests.router.forecast_tool import FORECAST, SCHEMA
from tests.support.bedrock import MODEL, TOOL_ANSWER, TOOL_EVENTS, TOOL_INPUT, FakeBedrock

TOOLS: Any = [FORECAST]
SPEC = {
    "toolSpec": {
        "name": "forecast",
        "description": "weather ahead",
        "inputSchema": {"json": SCHEMA},
    }
}
ASK: Any = [{"role": "user", "content": "weather in Zürich?"}]


class Site:
    """A router whose ``bedrock`` route answers with a call of ``forecast``."""

    def __init__(self, loop: LoopThread) -> None:
        self.bedrock = FakeBedrock(TOOL_ANSWER, TOOL_EVENTS)
        target = {
            "backend": "bedrock",
            "model": MODEL,
            "region": "eu-central-1",
            "location": "cloud:aws:eu-central-1",
            "allowed_data_classes": ["public"],
        }
        routes = [{"name": "bedrock", "match": {"alias": "bedrock"}, "targets": ["bedrock"]}]
        config = configs.config({"bedrock": target}, routes)
        self.context = BackendContext(blocking_threads=2)
        bedrock = BedrockBackend("bedrock", config.targets["bedrock"], self.context, self.bedrock)
        self.url = loop.serve(create_app(config, backends={"bedrock": bedrock})).url
        self.openai = openai.OpenAI(base_url=f"{self.url}/v1", api_key=KEY, max_retries=0)
        self.claude = anthropic.Anthropic(base_url=self.url, api_key=KEY, max_retries=0)

    def close(self) -> None:
        self.openai.close()
        self.claude.close()
        self.context.executor.shutdown()


@pytest.fixture
def site(loop: LoopThread, aws_env: None) -> Iterator[Site]:
    opened = Site(loop)
    yield opened
    opened.close()


def test_chat_tool_calls_round_trip_through_converse(site: Site) -> None:
    answer = site.openai.chat.completions.create(
        model="bedrock", messages=ASK, tools=TOOLS, tool_choice="required"
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me look."
    calls = [c.model_dump() for c in choice.message.tool_calls or ()]
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
    ] == [("tooluse_1", "forecast", TOOL_INPUT)]
    # The answer's call goes back with its result: Bedrock's pairing rule is met.
    history: Any = [
        *ASK,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": "tooluse_1", "content": "sunny"},
    ]
    site.openai.chat.completions.create(model="bedrock", messages=history, tools=TOOLS)
    (_, first), (_, second) = site.bedrock.calls
    assert first["toolConfig"] == {"tools": [SPEC], "toolChoice": {"any": {}}}
    assert second["toolConfig"] == {"tools": [SPEC]}
    assert second["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"text": "Let me look."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "forecast", "input": TOOL_INPUT}},
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}}],
        },
    ]


def test_chat_stream_carries_tool_call_deltas(site: Site) -> None:
    stream = site.openai.chat.completions.create(
        model="bedrock", messages=ASK, tools=TOOLS, stream=True
    )
    chunks = [c for c in stream if c.choices]
    deltas = [d for c in chunks for d in c.choices[0].delta.tool_calls or ()]
    assert {d.index for d in deltas} == {0}
    assert [(d.id, d.function.name) for d in deltas if d.function and d.function.name] == [
        ("tooluse_1", "forecast")
    ]
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert json.loads(arguments) == TOOL_INPUT
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Let me look."
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert [op for op, _ in site.bedrock.calls] == ["ConverseStream"]


def test_messages_api_tool_use_through_converse(site: Site) -> None:
    tool: Any = {"name": "forecast", "description": "weather ahead", "input_schema": SCHEMA}
    answer = site.claude.messages.create(
        model="bedrock",
        max_tokens=64,
        tools=[tool],
        tool_choice={"type": "tool", "name": "forecast"},
        messages=ASK,
    )
    assert [(b.type, getattr(b, "input", None)) for b in answer.content] == [
        ("text", None),
        ("tool_use", TOOL_INPUT),
    ]
    assert answer.stop_reason == "tool_use"
    with site.claude.messages.stream(
        model="bedrock", max_tokens=64, tools=[tool], messages=ASK
    ) as stream:
        final = stream.get_final_message()
    assert [(b.type, getattr(b, "input", None)) for b in final.content] == [
        ("text", None),
        ("tool_use", TOOL_INPUT),
    ]
    assert final.stop_reason == "tool_use"
    (_, sent), (operation, _) = site.bedrock.calls
    assert sent["toolConfig"] == {"tools": [SPEC], "toolChoice": {"tool": {"name": "forecast"}}}
    assert operation == "ConverseStream"


@pytest.mark.parametrize("stream", [False, True])
def test_responses_function_call_through_converse(site: Site, stream: bool) -> None:
    tools: Any = [{"type": "function", "name": "forecast", "parameters": SCHEMA, "strict": False}]
    response: openai.types.responses.Response
    if stream:
        with site.openai.responses.stream(
            model="bedrock", input="weather in Zürich?", tools=tools
        ) as events:
            response = events.get_final_response()
    else:
        response = site.openai.responses.create(
            model="bedrock", input="weather in Zürich?", tools=tools
        )
    calls = [item.model_dump() for item in response.output if item.type == "function_call"]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [("forecast", TOOL_INPUT)]
    assert site.bedrock.calls[0][1]["toolConfig"]["tools"][0]["toolSpec"]["name"] == "forecast"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"tools": TOOLS, "parallel_tool_calls": False},
            "parallel_tool_calls: false cannot be sent to Bedrock Converse",
        ),
        (
            {"tools": [{"type": "web_search"}]},
            "tools[0]: a 'web_search' tool cannot be sent to this target; allowed: function",
        ),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_what_converse_cannot_say_is_a_400_naming_it(
    site: Site, extra: dict[str, Any], message: str, stream: bool
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.chat.completions.create(
            model="bedrock", messages=ASK, stream=stream, extra_body=extra
        )
    assert f"target 'bedrock' cannot take this request: {message}" in caught.value.message
    assert site.bedrock.calls == []
