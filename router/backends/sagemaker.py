"""SageMaker real-time endpoints (boto3 ``sagemaker-runtime``).

The request is sent in OpenAI's shape, which the usual LLM containers (LMI/vLLM, TGI's
messages API) accept on ``invoke_endpoint``. Answers in OpenAI's shape are passed on; TGI's
``generated_text`` answers are mapped. Streaming uses ``invoke_endpoint_with_response_stream``
where the container supports it: payload parts carry SSE lines, re-framed here as whole
OpenAI events. Calls run in the bounded thread pool, like Bedrock's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..errors import UpstreamProtocolError
from ..sse import DONE, SseParser, chunk_event, completion_body, new_completion_id
from .aws import BotoBackend, translate_aws_error
from .base import BackendContext, Completion, Usage
from .http import parse_json
from .openai_compat import usage_of

__all__ = ["SageMakerBackend"]


class SageMakerBackend(BotoBackend):
    kind = "sagemaker"
    SERVICE = "sagemaker-runtime"

    def __init__(
        self, name: str, target: TargetConfig, context: BackendContext, client: Any = None
    ) -> None:
        super().__init__(name, target, context, client)
        if target.endpoint_name is None:
            raise ValueError(f"target {name!r}: backend 'sagemaker' needs endpoint_name")
        self.endpoint = target.endpoint_name

    def _invoke(self, payload: bytes) -> bytes:
        response = self.client.invoke_endpoint(
            EndpointName=self.endpoint,
            ContentType="application/json",
            Accept="application/json",
            Body=payload,
        )
        return bytes(response["Body"].read())

    async def complete(self, body: dict[str, Any]) -> Completion:
        self.check_fetch(body)  # the endpoint's container would fetch media URLs
        try:
            raw = await self.context.run_blocking(self._invoke, orjson.dumps(body))
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        answer = parse_json(raw, self.name)
        if isinstance(answer, dict) and "choices" in answer:
            answer.setdefault("object", "chat.completion")
            answer.setdefault("model", self.target.model)
            answer.setdefault("id", new_completion_id())
            return Completion(orjson.dumps(answer), usage_of(answer))
        text = _generated_text(answer)
        if text is None:
            raise UpstreamProtocolError(f"target {self.name!r} sent an unknown answer shape")
        return Completion(completion_body(self.target.model, text, "stop", 0, 0), Usage())

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        self.check_fetch(body)
        payload = orjson.dumps({**body, "stream": True})
        parser = SseParser()
        ids = (new_completion_id(), self.target.model, int(time.time()))

        def open_stream() -> Any:
            return self.client.invoke_endpoint_with_response_stream(
                EndpointName=self.endpoint, ContentType="application/json", Body=payload
            )["Body"]

        try:
            async for event in self.context.iterate_blocking(open_stream):
                for error_key in ("ModelStreamError", "InternalStreamFailure"):
                    if error_key in event:
                        message = event[error_key].get("Message", error_key)
                        raise UpstreamProtocolError(f"target {self.name!r}: {message}")
                part = event.get("PayloadPart", {}).get("Bytes", b"")
                for _, data in parser.feed(part):
                    if data == b"[DONE]":
                        yield DONE
                        return
                    block = _reframe(data, ids, usage, include_usage)
                    if block:
                        yield block
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        raise UpstreamProtocolError(f"target {self.name!r} ended the stream before [DONE]")


def _reframe(data: bytes, ids: tuple[str, str, int], usage: Usage, include_usage: bool) -> bytes:
    chunk = orjson.loads(data)
    if isinstance(chunk, dict) and "choices" in chunk:
        found = chunk.get("usage")
        if isinstance(found, dict):
            usage.prompt_tokens = int(found.get("prompt_tokens") or 0)
            usage.completion_tokens = int(found.get("completion_tokens") or 0)
            if not chunk["choices"] and not include_usage:
                return b""
        return b"data: " + data + b"\n\n"
    token = chunk.get("token", {}).get("text") if isinstance(chunk, dict) else None
    if isinstance(token, str):  # TGI's native token stream
        return chunk_event(*ids, {"content": token})
    return b""


def _generated_text(answer: Any) -> str | None:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        answer = answer[0]
    if isinstance(answer, dict) and isinstance(answer.get("generated_text"), str):
        return str(answer["generated_text"])
    return None
