"""Amazon Bedrock through the Converse and ConverseStream APIs (boto3).

The translation both ways is ``router.converse`` (shared with the ``lambda`` target's
handler); this module only drives the calls. boto3 blocks, so every call runs in the
router's bounded thread pool and stream events are handed to the event loop one by one:
a slow Bedrock call occupies a pool thread, never the loop. ``target.model`` is the
model ID or inference profile; ``target.region`` its region.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..converse import StreamTranslation, TranslationError, to_completion, to_converse, usage_of
from ..errors import UpstreamProtocolError
from ..sse import DONE, chunk_event, new_completion_id, usage_dict
from .aws import BotoBackend, translate_aws_error
from .base import Completion, Usage

__all__ = ["BedrockBackend"]


class BedrockBackend(BotoBackend):
    kind = "bedrock"

    SERVICE = "bedrock-runtime"

    def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """The Converse arguments for ``body``; what Converse cannot say is the caller's
        400, as Bedrock would answer it."""
        try:
            return to_converse(body, self.target.model)
        except TranslationError as exc:
            raise self.refused(exc) from exc

    async def complete(self, body: dict[str, Any]) -> Completion:
        request = self.request(body)
        try:
            response = await self.context.run_blocking(lambda: self.client.converse(**request))
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        completion = to_completion(response, self.target.model)
        return Completion(orjson.dumps(completion), Usage(*usage_of(response.get("usage"))))

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        request = self.request(body)
        ids = (new_completion_id(), self.target.model, int(time.time()))
        translation = StreamTranslation()
        try:
            events = self.context.iterate_blocking(
                lambda: self.client.converse_stream(**request)["stream"]
            )
            async for event in events:
                step = translation.step(event)
                usage.prompt_tokens, usage.completion_tokens = translation.usage
                if step is not None:
                    yield chunk_event(*ids, step.delta, finish_reason=step.finish_reason)
        except Exception as exc:
            raise translate_aws_error(exc, self.name) from exc
        if not translation.finished:
            raise UpstreamProtocolError(f"target {self.name!r} ended the stream early")
        if include_usage:
            yield chunk_event(*ids, {}, usage=usage_dict(*translation.usage))
        yield DONE
