"""The one fake OpenAI upstream, served on loopback, as the official client reads it."""

from __future__ import annotations

import openai
import pytest

from inferplane.smoke.openai_upstream import ANSWER, OpenAIUpstream, Usage
from inferplane.smoke.server import LoopbackServer


def test_json_and_stream_answers_read_by_the_openai_client() -> None:
    with LoopbackServer(fake := OpenAIUpstream(usage=Usage(4, 6))) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=0)
        messages: list[openai.types.chat.ChatCompletionMessageParam] = [
            {"role": "user", "content": "hi"}
        ]
        answer = client.chat.completions.create(model="m", messages=messages)
        stream = client.chat.completions.create(
            model="m", messages=messages, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    assert answer.choices[0].message.content == ANSWER
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 6)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER + " "
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 10
    assert [(c.method, c.path, c.json().get("stream", False)) for c in fake.calls] == [
        ("POST", "/v1/chat/completions", False),
        ("POST", "/v1/chat/completions", True),
    ]


def test_other_paths_are_404_and_recorded() -> None:
    with LoopbackServer(fake := OpenAIUpstream()) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="m", input="x")
    assert [c.path for c in fake.calls] == ["/v1/embeddings"]
