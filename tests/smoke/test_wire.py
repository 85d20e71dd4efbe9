"""``smoke.wire.operation``: which call is a chat or a stream for each backend, and why a
call that is neither is refused (path, query and body shape, as the service checks)."""

from __future__ import annotations

import json

import pytest

from inferplane.router.config import TargetConfig
from inferplane.smoke.server import Call
from inferplane.smoke.wire import operation
from tests.support.targets import target_config

MESSAGES = {"messages": [{"role": "user", "content": "hi"}]}
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


def _post(target: str, body: object) -> Call:
    return Call("POST", target, {}, json.dumps(body).encode())


VERTEX = target_config("vertex", url="https://europe-west4-aiplatform.googleapis.com/v1/p")
BEDROCK = target_config("bedrock", model="anthropic.claude")
SAGEMAKER = target_config("sagemaker", endpoint_name="ep", url=None)


@pytest.mark.parametrize(
    ("target", "call", "expected"),
    [
        (VERTEX, _post("/v1/p/m:generateContent", {"contents": []}), "chat"),
        (VERTEX, _post("/v1/p/m:streamGenerateContent?alt=sse", {"contents": []}), "stream"),
        (
            VERTEX,
            _post("/v1/p/m:streamGenerateContent", {"contents": []}),
            "/v1/p/m:streamGenerateContent is not /v1/p/m:generateContent or "
            "/v1/p/m:streamGenerateContent?alt=sse",
        ),
        (
            VERTEX,
            _post("/v1/p/m:generateContent", MESSAGES),
            "body is not a Gemini generateContent request",
        ),
        (BEDROCK, _post("/model/anthropic.claude/converse", CONVERSE), "chat"),
        (BEDROCK, _post("/model/anthropic.claude/converse-stream", CONVERSE), "stream"),
        (
            BEDROCK,
            _post("/model/other/converse", CONVERSE),
            "model 'other' is not the target's 'anthropic.claude'",
        ),
        (SAGEMAKER, _post("/endpoints/ep/invocations", MESSAGES), "chat"),
        (SAGEMAKER, _post("/endpoints/ep/invocations-response-stream", MESSAGES), "stream"),
        (
            SAGEMAKER,
            _post("/endpoints/ep/invocations", {"prompt": "x"}),
            "body is not an OpenAI chat request",
        ),
        (
            target_config("openai"),
            _post("/v1/chat/completions", {**MESSAGES, "model": "m"}),
            "chat",
        ),
        (
            target_config("openai"),
            _post("/v1/chat/completions", {**MESSAGES, "model": "x"}),
            "model 'x' is not the target's 'm'",
        ),
        (
            target_config("azure_openai", url="https://a.openai.azure.com"),
            _post(
                "/openai/deployments/m/chat/completions?api-version=2024-10-21",
                {**MESSAGES, "stream": True},
            ),
            "stream",
        ),
    ],
)
def test_each_backend_knows_its_operations(target: TargetConfig, call: Call, expected: str) -> None:
    assert operation(target, call) == expected
