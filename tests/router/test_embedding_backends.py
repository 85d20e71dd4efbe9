"""/v1/embeddings to Bedrock (Titan, Cohere: botocore Stubber) and Vertex (loopback fake),
answered in OpenAI's shape; residency decides before any of them is called."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import boto3
import httpx
import openai
import orjson
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from inferplane.router.app import create_app
from inferplane.router.backends import BackendContext
from inferplane.router.backends.bedrock import BedrockBackend
from inferplane.router.config import TargetConfig
from inferplane.router.core import Gateway, Request
from tests.router import configs
from tests.router.configs import KEY, auth
from tests.router.fakes import LoopThread
from tests.router.native_fakes import Recorder, vertex_app

REGION = "eu-central-1"


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every test here signs with the static credentials (conftest ``aws_env``)."""


def _bedrock(model: str) -> dict[str, Any]:
    return {
        "backend": "bedrock",
        "model": model,
        "region": REGION,
        "location": f"cloud:aws:{REGION}",
        "allowed_data_classes": ["public"],
    }


def _body(data: dict[str, Any]) -> StreamingBody:
    raw = orjson.dumps(data)
    return StreamingBody(io.BytesIO(raw), len(raw))


def _embed(model: str, answers: list[tuple[dict[str, Any], dict[str, Any]]], text: Any) -> Any:
    cfg = configs.config({"br": _bedrock(model)}, [{"name": "default", "targets": ["br"]}])
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    backend = BedrockBackend("br", TargetConfig.model_validate(_bedrock(model)), context, client)
    gateway = Gateway(cfg, backends={"br": backend})
    body = orjson.dumps({"model": "default", "input": text})
    with Stubber(client) as stub:
        for sent, answer in answers:
            expected = {
                "modelId": model,
                "body": orjson.dumps(sent),
                "contentType": "application/json",
                "accept": "application/json",
            }
            stub.add_response(
                "invoke_model", {"body": _body(answer), "contentType": "json"}, expected
            )
        response = asyncio.run(gateway.handle(Request("POST", "/v1/embeddings", auth(), body)))
        stub.assert_no_pending_responses()
    context.executor.shutdown()
    return response


def test_bedrock_titan_embeds_each_input() -> None:
    response = _embed(
        "amazon.titan-embed-text-v2:0",
        [
            ({"inputText": "ab"}, {"embedding": [0.1, 0.2], "inputTextTokenCount": 2}),
            ({"inputText": "cd"}, {"embedding": [0.3, 0.4], "inputTextTokenCount": 3}),
        ],
        ["ab", "cd"],
    )
    assert response.status == 200, response.body
    answer = orjson.loads(response.body)
    assert [d["embedding"] for d in answer["data"]] == [[0.1, 0.2], [0.3, 0.4]]
    assert [d["index"] for d in answer["data"]] == [0, 1]
    assert answer["usage"] == {"prompt_tokens": 5, "total_tokens": 5}


def test_bedrock_cohere_embeds_in_one_call() -> None:
    response = _embed(
        "cohere.embed-multilingual-v3",
        [
            (
                {"texts": ["ab", "cd"], "input_type": "search_document"},
                {"embeddings": [[1.0], [2.0]], "id": "x", "texts": ["ab", "cd"]},
            )
        ],
        ["ab", "cd"],
    )
    assert response.status == 200, response.body
    assert [d["embedding"] for d in orjson.loads(response.body)["data"]] == [[1.0], [2.0]]


def test_bedrock_chat_model_cannot_embed_and_says_which_backend() -> None:
    response = _embed("anthropic.claude-3-haiku-20240307-v1:0", [], "ab")
    assert response.status == 400
    error = orjson.loads(response.body)["error"]
    assert error["code"] == "endpoint_not_supported"
    assert "br (bedrock)" in error["message"]


def test_vertex_text_embeddings_with_the_openai_client(loop: LoopThread) -> None:
    recorder = Recorder()
    up = loop.serve(vertex_app(recorder))
    target = {
        **configs.target(up.url, ("public",)),
        "backend": "vertex",
        "model": "text-embedding-005",
        "url": up.url + "/v1/models",
    }
    cfg = configs.config({"vx": target}, [{"name": "default", "targets": ["vx"]}])
    url = loop.serve(create_app(cfg)).url
    with openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0) as client:
        result = client.embeddings.create(model="default", input=["abc", "hello"], dimensions=2)
    assert [d.embedding for d in result.data] == [[3.0, 1.0], [5.0, 1.0]]
    assert result.usage.prompt_tokens == 4
    path, _, sent = recorder.requests[0]
    assert path == "/v1/models/text-embedding-005:predict"
    assert sent == {
        "instances": [{"content": "abc"}, {"content": "hello"}],
        "parameters": {"outputDimensionality": 2},
    }
    restricted = httpx.post(
        f"{url}/v1/embeddings",
        json={"model": "default", "input": "card 4111 1111 1111 1111"},
        headers=auth(),
    )
    assert restricted.status_code == 503
    assert len(recorder.requests) == 1
