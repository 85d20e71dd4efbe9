"""Media URLs a self-hosted target would fetch from inside the private network (SSRF):
refused with the caller's 400 naming the part, from every API the router serves, before
anything reaches the upstream; a target whose provider fetches from the internet takes
them. Which targets are which comes from the target kind (``URL_FETCH``), planned from
real stacks; a kind nobody classified is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from inferplane.plan import run_program
from inferplane.router.app import create_app
from inferplane.router.content import ContentError
from inferplane.router.fetch import check_no_private_fetch
from inferplane.routerconfig import URL_FETCH, endpoints_from_graph, stack_router_config
from inferplane.spec import load_stack, provider_regions
from inferplane.spec.targets import KINDS
from tests.router import configs
from tests.router.configs import KEY
from tests.router.fakes import FakeOpenAI, LoopThread
from tests.support.images import image_part, png_url

ROOT = Path(__file__).resolve().parents[2]
METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
ALLOWED = "allowed: text, and media parts with a base64 data: URL (data:<type>;base64,<data>)"


def _refusal(body: dict[str, Any]) -> str:
    with pytest.raises(ContentError) as caught:
        check_no_private_fetch(body)
    return str(caught.value)


def _user(*parts: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": list(parts)},
        ]
    }


@pytest.mark.parametrize(
    ("part", "where", "shown"),
    [
        (image_part(METADATA), "image_url.url", METADATA),
        (image_part("HTTPS://internal.svc/x.png"), "image_url.url", "HTTPS://internal.svc/x.png"),
        # URL parsers skip leading blanks and control characters before the scheme.
        (
            image_part("\t\x00 http://10.0.0.1/a.png"),
            "image_url.url",
            "\t\x00 http://10.0.0.1/a.png",
        ),
        # vLLM's other media parts, and its bare-string form.
        (
            {"type": "video_url", "video_url": {"url": "http://10.0.0.2/v"}},
            "video_url.url",
            "http://10.0.0.2/v",
        ),
        (
            {"type": "audio_url", "audio_url": {"url": "http://10.0.0.3/a"}},
            "audio_url.url",
            "http://10.0.0.3/a",
        ),
        ({"image_url": "http://10.0.0.4/i.png"}, "image_url", "http://10.0.0.4/i.png"),
        # Schemes an engine reads from its own disk or with its own identity.
        (image_part("file:///etc/passwd"), "image_url.url", "file:///etc/passwd"),
        (image_part("gs://bucket/i.png"), "image_url.url", "gs://bucket/i.png"),
        # A typed text part hides no URL in another key.
        ({"type": "text", "text": "hi", "image_url": METADATA}, "image_url", METADATA),
    ],
)
def test_a_url_in_a_media_part_is_refused_naming_the_part(
    part: dict[str, Any], where: str, shown: str
) -> None:
    if len(shown) > 60:
        shown = shown[:57] + "..."
    assert _refusal(_user({"type": "text", "text": "look"}, part)) == (
        f"messages[1].content[1].{where}: {shown!r} is a URL this target would fetch from "
        "inside the deployment's private network (a self-hosted server fetches media URLs "
        f"itself); {ALLOWED}"
    )


def test_inline_media_and_text_naming_urls_pass() -> None:
    body = _user(
        {"type": "text", "text": f"what is at {METADATA}?"},
        {"text": "http://10.0.0.1/ in an untyped text part is words"},
        image_part(png_url()),
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    )
    body["messages"].append({"role": "assistant", "content": f"see {METADATA}"})
    check_no_private_fetch(body)
    check_no_private_fetch({"input": METADATA})  # no messages: nothing an engine fetches


def test_a_part_nested_past_any_engines_shape_is_refused() -> None:
    deep: Any = METADATA
    for _ in range(10):
        deep = {"x": deep}
    assert _refusal(_user({"type": "image_url", "image_url": deep})).startswith(
        "messages[1].content[0].image_url.x.x.x.x.x.x.x: nested deeper than 8 levels"
    )


class Site:
    """A router in front of one self-hosted ``openai`` target as rendered by default
    (``vllm``) and one whose provider fetches from the internet (``azure``)."""

    def __init__(self, loop: LoopThread) -> None:
        self.vllm, self.azure = FakeOpenAI("vllm"), FakeOpenAI("azure")
        public = ("public",)
        targets = {
            "vllm": configs.target(loop.serve(self.vllm.app).url, public),
            "azure": configs.target(loop.serve(self.azure.app).url, public, url_fetch="public"),
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


REFUSED = (
    "target 'vllm' cannot take this request: messages[0].content[1].image_url.url: "
    f"{METADATA[:57] + '...'!r} is a URL this target would fetch from inside the "
    "deployment's private network"
)


@pytest.mark.parametrize("stream", [False, True])
def test_chat_image_urls_to_a_self_hosted_target_are_the_callers_400(
    site: Site, stream: bool
) -> None:
    content: Any = [{"type": "text", "text": "what is it?"}, image_part(METADATA)]
    messages: Any = [{"role": "user", "content": content}]
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.chat.completions.create(model="vllm", messages=messages, stream=stream)
    assert REFUSED in caught.value.message
    assert site.vllm.requests == []
    # Inline, the same image goes; to a provider that fetches from the internet, the URL too.
    inline: Any = [{"role": "user", "content": [content[0], image_part(png_url())]}]
    site.openai.chat.completions.create(model="vllm", messages=inline)
    site.openai.chat.completions.create(model="azure", messages=messages)
    assert [r["messages"] for r in site.vllm.requests + site.azure.requests] == [
        inline,
        messages,
    ]


def test_messages_and_responses_image_urls_are_refused_too(site: Site) -> None:
    source = {"type": "url", "url": METADATA}
    blocks: Any = [{"type": "text", "text": "what is it?"}, {"type": "image", "source": source}]
    with pytest.raises(anthropic.BadRequestError) as refused:
        site.claude.messages.create(
            model="vllm", max_tokens=16, messages=[{"role": "user", "content": blocks}]
        )
    assert REFUSED in str(refused.value)
    items: Any = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "what is it?"},
                {"type": "input_image", "image_url": METADATA, "detail": "auto"},
            ],
        }
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        site.openai.responses.create(model="vllm", input=items)
    assert REFUSED in caught.value.message
    assert site.vllm.requests == []


def test_every_target_kind_says_where_it_fetches() -> None:
    assert set(URL_FETCH) == set(KINDS)
    assert {kind for kind, where in URL_FETCH.items() if where == "public"} == {
        "azure_openai",
        "bedrock",
        "lambda",
    }


def test_planned_stacks_render_where_each_target_fetches() -> None:
    fetch: dict[str, str] = {}
    for stack in ("prod-westeurope", "prod-us-east-1"):
        stack_file = load_stack(ROOT, stack)
        endpoints = endpoints_from_graph(run_program(ROOT, stack_file), stack_file.spec)
        regions = provider_regions(stack_file.config)
        config = stack_router_config(stack_file.spec, stack, endpoints, regions)
        kinds = {name: t.kind for name, t in stack_file.spec.targets.items()}
        fetch |= {f"{kinds[n]}:{n}": t.url_fetch for n, t in config.targets.items()}
    assert fetch == {
        "azure_openai:gpt-4o-mini": "public",
        "azure_ml:mistral-ml": "private",
        "container_app:phi-aca": "private",
        "bedrock:claude-sonnet": "public",
        "bedrock:claude-haiku-pt": "public",
        "sagemaker:mistral-sm": "private",
        "lambda:summarize-fn": "public",
        "gpu_fleet:llama-fleet": "private",
    }
