"""Amazon Bedrock through the Converse and ConverseStream APIs (boto3).

boto3 blocks, so every call runs in the router's bounded thread pool and stream events are
handed to the event loop one by one: a slow Bedrock call occupies a pool thread, never the
loop. ``target.model`` is the model ID or inference profile; ``target.region`` its region.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ..chat import message_text
from ..config import TargetConfig
from ..errors import UpstreamProtocolError
from ..sse import DONE, chunk_event, completion_body, new_completion_id, usage_dict
from .aws import boto_client, translate_aws_error
from .base import BackendContext, ChatBackend, Completion, Usage

__all__ = ["BedrockBackend", "from_converse", "to_converse"]

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


class BedrockBackend(ChatBackend):
    kind = "bedrock"

    def __init__(
        self, name: str, target: TargetConfig, context: BackendContext, client: Any = None
    ) -> None:
        super().__init__(name, target, context)
        self._client = client

    async def start(self) -> None:
        await super().start()
        # Building a boto3 client takes ~100 ms: do it before the first request, off the loop.
        await self.context.run_blocking(lambda: self.client)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto_client("bedrock-runtime", self.target, self.credentials)
        return self._client

    async def complete(self, body: dict[str, Any]) -> Completion:
        request = to_converse(body, self.target.model)
        try:
            response = await self.context.run_blocking(lambda: self.client.converse(**request))
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        return from_converse(response, self.target.model)

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        request = to_converse(body, self.target.model)
        ids = (new_completion_id(), self.target.model, int(time.time()))
        finished = False
        try:
            events = self.context.iterate_blocking(
                lambda: self.client.converse_stream(**request)["stream"]
            )
            async for event in events:
                if "messageStart" in event:
                    yield chunk_event(*ids, {"role": "assistant", "content": ""})
                elif "contentBlockDelta" in event:
                    text = event["contentBlockDelta"].get("delta", {}).get("text")
                    if text:
                        yield chunk_event(*ids, {"content": text})
                elif "messageStop" in event:
                    reason = event["messageStop"].get("stopReason", "end_turn")
                    finished = True
                    yield chunk_event(*ids, {}, finish_reason=FINISH_REASONS.get(reason, "stop"))
                elif "metadata" in event:
                    found = event["metadata"].get("usage", {})
                    usage.prompt_tokens = int(found.get("inputTokens", 0))
                    usage.completion_tokens = int(found.get("outputTokens", 0))
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        if not finished:
            raise UpstreamProtocolError(f"target {self.name!r} ended the stream early")
        if include_usage:
            yield chunk_event(
                *ids, {}, usage=usage_dict(usage.prompt_tokens, usage.completion_tokens)
            )
        yield DONE


def to_converse(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    system: list[dict[str, str]] = []
    messages: list[dict[str, Any]] = []
    for message in body["messages"]:
        text = message_text(message.get("content")) or " "
        role = message["role"]
        if role in ("system", "developer"):
            system.append({"text": text})
            continue
        # Converse knows user and assistant turns only, strictly alternating.
        role = "assistant" if role == "assistant" else "user"
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].append({"text": text})
        else:
            messages.append({"role": role, "content": [{"text": text}]})
    request: dict[str, Any] = {"modelId": model_id, "messages": messages}
    if system:
        request["system"] = system
    inference = _inference_config(body)
    if inference:
        request["inferenceConfig"] = inference
    return request


def _inference_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if body.get("temperature") is not None:
        config["temperature"] = min(float(body["temperature"]), 1.0)
    if body.get("top_p") is not None:
        config["topP"] = float(body["top_p"])
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    return config


def from_converse(response: dict[str, Any], model: str) -> Completion:
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    text = "".join(block.get("text", "") for block in blocks)
    found = response.get("usage", {})
    usage = Usage(int(found.get("inputTokens", 0)), int(found.get("outputTokens", 0)))
    finish = FINISH_REASONS.get(response.get("stopReason", "end_turn"), "stop")
    body = completion_body(model, text, finish, usage.prompt_tokens, usage.completion_tokens)
    return Completion(body, usage)
