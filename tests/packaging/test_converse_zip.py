"""The ``lambda`` target's zip and the router's ``bedrock`` backend speak one Converse.

The test BUILDS the real deployment zip, unpacks it and imports the handler from it in a
clean interpreter (``-I -S``: no PYTHONPATH, no cwd, no .pth files, so no editable
install; then only the unpacked zip and, standing in for the Lambda runtime's boto3, the
venv's site-packages as a plain path). For each OpenAI request, streamed and not, the
handler's Converse call must equal the router backend's exactly, and so must the OpenAI
answer built from the same Bedrock answer. The interpreter also reports which of the
zip's modules it loaded (the zip must hold exactly those) and which it took from
site-packages (only boto3 and its needs, which the Lambda runtime provides).
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from inferplane.packaging.converse_zip import HANDLER, build_converse_zip, converse_files
from inferplane.router.backends import BackendContext, Usage
from inferplane.router.backends.bedrock import BedrockBackend
from inferplane.router.chat import parse_chat_request
from inferplane.router.config import TargetConfig
from tests.support.bedrock import (
    ANSWER,
    EVENTS,
    MODEL,
    TOOL_ANSWER,
    TOOL_EVENTS,
    TOOL_INPUT,
    FakeBedrock,
)
from tests.support.images import image_part, png_url

LAMBDA_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
"""What the Lambda Python runtime has beside the standard library: boto3 and its needs."""
SYSTEM = {"role": "system", "content": "be brief"}
BODIES: list[dict[str, Any]] = [
    {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    {
        "model": "m",
        "messages": [
            SYSTEM,
            {"role": "user", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": "there"}]},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "42"},
            {"role": "developer", "content": "in German"},
        ],
        "temperature": 1.6,
        "top_p": 0.9,
        "max_tokens": 30,
        "stop": ["END", ""],
    },
    {
        "model": "m",
        "messages": [SYSTEM, {"role": "user", "content": "hi"}],
        "max_completion_tokens": 5,
        "temperature": 0,
        "stop": "\n",
    },
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True},
    {  # an image: the same image block (bytes) from both
        "model": "m",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "what?"}, image_part(png_url())]}
        ],
    },
    {
        "model": "m",
        "messages": [SYSTEM, {"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 2,
    },
]

TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "forecast",
            "description": "weather ahead",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
CALL = {"id": "c1", "type": "function", "function": {"name": "forecast", "arguments": "{}"}}
TOOL_BODIES: list[dict[str, Any]] = [
    {  # tools and a call with its result; the answer calls a tool
        "model": "m",
        "messages": [
            SYSTEM,
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        "tools": TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "forecast"}},
    },
    {
        "model": "m",
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": TOOLS,
        "tool_choice": "required",
        "stream": True,
    },
]
CASES: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = [
    *((body, ANSWER, EVENTS) for body in BODIES),
    *((body, TOOL_ANSWER, TOOL_EVENTS) for body in TOOL_BODIES),
]
"""(request, Bedrock's answer, Bedrock's stream events) per case."""

DRIVER = r"""
import json, os, sys
unpacked = sys.argv[1]
import converse_handler
assert converse_handler.__file__.startswith(unpacked), converse_handler.__file__
cases = json.loads(sys.stdin.read())

class Bedrock:
    def __init__(self):
        self.calls = []
    def converse(self, **request):
        self.calls.append(["Converse", request])
        return answer
    def converse_stream(self, **request):
        self.calls.append(["ConverseStream", request])
        return {"stream": iter(events)}

os.environ["MODEL_ID"] = sys.argv[2]
results = []
for body, answer, events in cases:
    client = converse_handler._clients["bedrock"] = Bedrock()
    event = {
        "rawPath": "/v1/chat/completions",
        "requestContext": {"http": {"method": "POST"}},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    results.append({"calls": client.calls, "reply": converse_handler.handler(event, None)})
loaded = {
    name: os.path.relpath(module.__file__, unpacked)
    for name, module in sys.modules.items()
    if name.split(".")[0] in ("router", "inferplane", "converse_handler")
}
runtime = sys.argv[3]
third_party = sorted({
    name.split(".")[0]
    for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").startswith(runtime)
})
def blob(value):  # image bytes in a Converse request, as the test compares them
    import base64
    return {"bytes": base64.b64encode(value).decode()}
print(json.dumps({"results": results, "loaded": loaded, "third_party": third_party}, default=blob))
"""


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("converse")
    archive = build_converse_zip(root / "converse.zip")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "task")
    return root / "task"


@pytest.fixture(scope="module")
def handler_run(unpacked: Path) -> dict[str, Any]:
    runtime_boto = sysconfig.get_paths()["purelib"]
    code = (
        f"import sys; sys.path[:] = [{str(unpacked)!r}]"
        f" + [p for p in sys.path if 'site-packages' not in p] + [{runtime_boto!r}]\n" + DRIVER
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(unpacked), MODEL, runtime_boto],
        input=json.dumps(CASES),
        cwd=unpacked.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    run: dict[str, Any] = json.loads(result.stdout)
    return run


async def _router_answer(
    body: dict[str, Any], bedrock_answer: dict[str, Any], events: list[dict[str, Any]]
) -> tuple[list[list[Any]], bytes]:
    """The router's Converse call and its answer, for the body the gateway would pass:
    the validated request with the target's model ID set."""
    chat = parse_chat_request(orjson.dumps(body))
    target = TargetConfig.model_validate(
        {
            "backend": "bedrock",
            "model": MODEL,
            "region": "us-east-1",
            "location": "cloud:aws:us-east-1",
            "allowed_data_classes": ["public"],
        }
    )
    context = BackendContext(blocking_threads=1)
    client = FakeBedrock(bedrock_answer, events)
    backend = BedrockBackend("br", target, context, client=client)
    forwarded = {**chat.capped_body(None), "model": MODEL}
    try:
        if chat.stream:
            parts = backend.stream(forwarded, Usage(), chat.include_usage)
            answer = b"".join([part async for part in _iterate(parts)])
        else:
            answer = (await backend.complete(forwarded)).body
    finally:
        await context.close()
    calls = orjson.dumps([list(call) for call in client.calls], default=_blob)
    return orjson.loads(calls), answer


def _blob(value: object) -> dict[str, str]:
    """Image bytes as the driver writes them (``blob``)."""
    assert isinstance(value, bytes)
    return {"bytes": base64.b64encode(value).decode()}


async def _iterate(parts: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for part in parts:
        yield part


def _comparable(payload: Any) -> Any:
    """An OpenAI body without what differs per call (id, created)."""
    return {k: v for k, v in payload.items() if k not in ("id", "created")}


def _events(stream: str) -> list[Any]:
    blocks = [b for b in stream.split("\n\n") if b]
    return [b if b == "data: [DONE]" else _comparable(json.loads(b[6:])) for b in blocks]


def test_the_zip_holds_the_handler_and_the_translator() -> None:
    names = set(converse_files())
    assert names == {
        "converse_handler.py",
        "router/__init__.py",
        "router/turns.py",
        "router/content.py",
        "router/tools.py",
        "router/openai_shapes.py",
        "router/converse/__init__.py",
        "router/converse/errors.py",
        "router/converse/request.py",
        "router/converse/response.py",
        "router/converse/stream.py",
        "router/converse/tools.py",
    }
    assert HANDLER == "converse_handler.handler"


def test_same_files_give_the_same_zip(tmp_path: Path) -> None:
    one = build_converse_zip(tmp_path / "one.zip").read_bytes()
    assert build_converse_zip(tmp_path / "two.zip").read_bytes() == one


def test_the_handler_loads_exactly_the_zip(handler_run: dict[str, Any], unpacked: Path) -> None:
    loaded = handler_run["loaded"]
    zipped = {
        str(p.relative_to(unpacked)) for p in unpacked.rglob("*.py") if "__pycache__" not in p.parts
    }
    # Nothing from the toolkit, nothing outside the zip, every file of the zip used.
    assert not [name for name in loaded if name.startswith("inferplane")]
    assert set(loaded.values()) == zipped
    # Beyond the zip, only what the Lambda Python runtime provides (its boto3).
    assert set(handler_run["third_party"]) <= LAMBDA_RUNTIME


@pytest.mark.parametrize("index", range(len(CASES)))
def test_handler_and_router_send_the_same_converse_request(
    handler_run: dict[str, Any], index: int
) -> None:
    body = CASES[index][0]
    calls, answer = asyncio.run(_router_answer(*CASES[index]))
    result = handler_run["results"][index]
    assert result["calls"] == calls
    assert len(calls) == 1
    assert calls[0][0] == ("ConverseStream" if body.get("stream") else "Converse")
    reply = result["reply"]
    assert reply["statusCode"] == 200
    if body.get("stream"):
        assert reply["headers"]["content-type"] == "text/event-stream"
        assert _events(reply["body"]) == _events(answer.decode())
        assert _events(reply["body"])[-1] == "data: [DONE]"
    else:
        assert _comparable(json.loads(reply["body"])) == _comparable(orjson.loads(answer))


def test_the_zipped_handler_speaks_converse_tools(handler_run: dict[str, Any]) -> None:
    """The tool cases, from the handler alone: toolConfig, toolUse and toolResult go to
    Bedrock; the toolUse answer comes back as tool_calls, whole and streamed."""
    called, streamed = handler_run["results"][len(BODIES) :]
    request = called["calls"][0][1]
    spec = {"name": "forecast", "description": "weather ahead"}
    assert request["toolConfig"] == {
        "tools": [
            {"toolSpec": {**spec, "inputSchema": {"json": TOOLS[0]["function"]["parameters"]}}}
        ],
        "toolChoice": {"tool": {"name": "forecast"}},
    }
    assert request["messages"][1:] == [
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "c1", "name": "forecast", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "c1", "content": [{"text": "sunny"}]}}],
        },
    ]
    choice = json.loads(called["reply"]["body"])["choices"][0]
    calls = choice["message"]["tool_calls"]
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
    ] == [("tooluse_1", "forecast", TOOL_INPUT)]
    assert choice["finish_reason"] == "tool_calls"
    chunks = [e for e in _events(streamed["reply"]["body"]) if e != "data: [DONE]"]
    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls", ())]
    assert [d["function"].get("name") for d in deltas] == ["forecast", None, None]
    assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == TOOL_INPUT
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
