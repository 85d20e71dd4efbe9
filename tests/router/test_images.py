"""Images through the router to every translating backend, from each API the router
serves (chat completions, Anthropic Messages, Responses) with the official clients: each
backend gets its own image block (Converse bytes, Anthropic base64/url source, Gemini
inlineData), checked by fakes that refuse what the real API refuses; what a backend
cannot take is the caller's 400 naming the part, and nothing reaches the upstream."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from inferplane.router.app import create_app
from inferplane.router.backends import BackendContext
from inferplane.router.backends.bedrock import BedrockBackend
from inferplane.router.config import RouterConfig
from tests.router import configs
from tests.router.configs import KEY
from tests.router.fakes import LoopThread
from tests.router.native_fakes import Recorder, anthropic_app, vertex_app
from tests.support.bedrock import MODEL, FakeBedrock
from tests.support.images import GIF, PNG, image_part, png_url

PNG_B64 = base64.b64encode(PNG).decode()
CAT = "https://images.example/cat.png"


class Site:
    """A router with one route per translating backend: ``claude`` (Anthropic fake),
    ``gemini`` (Vertex fake), ``bedrock`` (a bedrock-runtime double checked against
    botocore's model)."""

    def __init__(self, loop: LoopThread) -> None:
        self.anthropic, self.vertex = Recorder(), Recorder()
        self.bedrock = FakeBedrock()
        claude = loop.serve(anthropic_app(self.anthropic)).url
        gemini = loop.serve(vertex_app(self.vertex)).url + "/v1/models"
        public = ("public",)
        targets = {
            "claude": {
                **configs.target(claude, public),
                "backend": "anthropic",
                "url": claude,
                "url_fetch": "public",  # Anthropic's API fetches a url source itself
            },
            "gemini": {**configs.target(gemini, public), "backend": "vertex", "url": gemini},
            "bedrock": {
                "backend": "bedrock",
                "model": MODEL,
                "region": "eu-central-1",
                "location": "cloud:aws:eu-central-1",
                "allowed_data_classes": public,
            },
        }
        routes = [{"name": n, "match": {"alias": n}, "targets": [n]} for n in targets]
        config: RouterConfig = configs.config(targets, routes)
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


def _ask(site: Site, model: str, content: list[dict[str, Any]], stream: bool = False) -> None:
    messages: Any = [{"role": "user", "content": content}]
    if stream:
        chunks = site.openai.chat.completions.create(model=model, messages=messages, stream=True)
        assert list(chunks)
    else:
        site.openai.chat.completions.create(model=model, messages=messages)


ASK = [{"type": "text", "text": "which is which?"}, image_part(png_url()), image_part(CAT)]


def test_chat_images_reach_anthropic_as_image_blocks(site: Site) -> None:
    _ask(site, "claude", ASK)
    _ask(site, "claude", ASK, stream=True)
    expected = [
        {"type": "text", "text": "which is which?"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
        },
        {"type": "image", "source": {"type": "url", "url": CAT}},
    ]
    assert [sent["messages"] for _, _, sent in site.anthropic.requests] == [
        [{"role": "user", "content": expected}]
    ] * 2


def test_chat_images_reach_gemini_as_inline_data(site: Site) -> None:
    gif = image_part(png_url(GIF, "image/gif"))
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(site, "gemini", [image_part(png_url()), gif])
    assert caught.value.message.endswith(
        "target 'gemini' cannot take this request: messages[0].content[1]: Gemini on "
        "Vertex AI cannot take an inline image of type 'image/gif'; allowed: text, and "
        "image_url parts with a base64 data: URL of image/heic, image/heif, image/jpeg, "
        "image/png, image/webp"
    )
    assert site.vertex.requests == []  # refused before any call
    _ask(site, "gemini", ASK[:2])
    _ask(site, "gemini", ASK[:2], stream=True)
    parts = [
        {"text": "which is which?"},
        {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
    ]
    assert [sent["contents"] for _, _, sent in site.vertex.requests] == [
        [{"role": "user", "parts": parts}]
    ] * 2


def test_chat_images_reach_bedrock_as_image_bytes(site: Site) -> None:
    _ask(site, "bedrock", ASK[:2])
    _ask(site, "bedrock", ASK[:2], stream=True)
    blocks = [{"text": "which is which?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    assert [(op, request["messages"]) for op, request in site.bedrock.calls] == [
        ("Converse", [{"role": "user", "content": blocks}]),
        ("ConverseStream", [{"role": "user", "content": blocks}]),
    ]


@pytest.mark.parametrize(
    ("model", "api"),
    [("gemini", "Gemini on Vertex AI"), ("bedrock", "Bedrock Converse")],
)
def test_an_image_url_a_backend_cannot_fetch_is_a_400_naming_the_part(
    site: Site, model: str, api: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(site, model, ASK)
    assert f"messages[0].content[2]: {api} cannot take an image URL; allowed: text" in (
        caught.value.message
    )
    assert (site.vertex.requests, site.bedrock.calls) == ([], [])


@pytest.mark.parametrize("model", ["claude", "gemini", "bedrock"])
def test_a_part_no_backend_sends_is_a_400_not_a_silent_drop(site: Site, model: str) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(site, model, [{"type": "text", "text": "listen"}, audio])
    assert caught.value.message.endswith(
        f"target {model!r} cannot take this request: messages[0].content[1]: a 'input_audio' "
        "part cannot be sent to this target; allowed: text, image_url"
    )
    assert (site.anthropic.requests, site.vertex.requests, site.bedrock.calls) == ([], [], [])


def test_messages_api_images_arrive_as_the_client_sent_them(site: Site) -> None:
    content: Any = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
        {"type": "image", "source": {"type": "url", "url": CAT}},
        {"type": "text", "text": "which is which?"},
    ]
    messages: Any = [{"role": "user", "content": content}]
    site.claude.messages.create(model="claude", max_tokens=32, messages=messages)
    assert site.anthropic.requests[0][2]["messages"] == [{"role": "user", "content": content}]
    site.claude.messages.create(
        model="bedrock",
        max_tokens=32,
        messages=[{"role": "user", "content": [content[0], content[2]]}],
    )
    blocks = [{"image": {"format": "png", "source": {"bytes": PNG}}}, {"text": "which is which?"}]
    assert site.bedrock.calls[0][1]["messages"] == [{"role": "user", "content": blocks}]
    with pytest.raises(anthropic.BadRequestError) as caught:
        site.claude.messages.create(model="gemini", max_tokens=32, messages=messages)
    assert "messages[0].content[1]: Gemini on Vertex AI cannot take an image URL" in str(
        caught.value
    )
    assert site.vertex.requests == []


def test_messages_api_tool_result_images_are_refused_not_dropped(site: Site) -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
    }
    messages: Any = [
        {"role": "user", "content": "draw"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "draw", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [image]}],
        },
    ]
    with pytest.raises(anthropic.BadRequestError) as caught:
        site.claude.messages.create(model="claude", max_tokens=32, messages=messages)
    assert "'messages[2].content[0].content[0].type' 'image' cannot be sent here: only text" in (
        str(caught.value)
    )
    assert site.anthropic.requests == []


def test_responses_input_images_reach_bedrock_as_image_bytes(site: Site) -> None:
    site.openai.responses.create(
        model="bedrock",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "which is which?"},
                    {"type": "input_image", "image_url": png_url(), "detail": "low"},
                ],
            }
        ],
    )
    blocks = [{"text": "which is which?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    assert site.bedrock.calls[0][1]["messages"] == [{"role": "user", "content": blocks}]
