"""Every API of the router with the official clients (openai, anthropic) against loopback
fake upstreams: answers, streams, errors in each API's shape, residency on every path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from inferplane.router.app import create_app
from inferplane.router.config import RouterConfig
from tests.router import configs
from tests.router.configs import KEY, KEY_CONFIDENTIAL, auth, target
from tests.router.fakes import FakeOpenAI, LoopThread, Served

PII = "mail me at jane.doe@example.org"


class Site:
    """A router with a zone target (public, confidential, restricted) preferred second to
    a global one (public only), both fake OpenAI upstreams."""

    def __init__(self, loop: LoopThread, **extra: Any) -> None:
        self.glob, self.zone = FakeOpenAI("global", chunks=4), FakeOpenAI("zone", chunks=4)
        ups = [loop.serve(self.glob.app), loop.serve(self.zone.app)]
        self.config: RouterConfig = configs.config(
            {
                "global": target(ups[0].url, ("public",)),
                "zone": target(ups[1].url, ("public", "confidential", "restricted")),
            },
            [{"name": "default", "targets": ["global", "zone"]}],
            **extra,
        )
        self.router: Served = loop.serve(create_app(self.config))
        self.url = self.router.url
        self.clients: list[openai.OpenAI | anthropic.Anthropic] = []

    def openai(self, key: str = KEY) -> openai.OpenAI:
        client = openai.OpenAI(base_url=f"{self.url}/v1", api_key=key, max_retries=0)
        self.clients.append(client)
        return client

    def anthropic(self, key: str = KEY) -> anthropic.Anthropic:
        client = anthropic.Anthropic(base_url=self.url, api_key=key, max_retries=0)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def site(loop: LoopThread) -> Iterator[Site]:
    opened = Site(loop)
    yield opened
    opened.close()


# --- /v1/messages --------------------------------------------------------------------------


def test_messages_with_the_anthropic_client(site: Site) -> None:
    message = site.anthropic().messages.create(
        model="default",
        max_tokens=64,
        system="be brief",
        messages=[{"role": "user", "content": "hello"}],
    )
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "answer from global"  # type: ignore[union-attr]
    assert (message.role, message.stop_reason, message.model) == (
        "assistant",
        "end_turn",
        "default",
    )
    assert (message.usage.input_tokens, message.usage.output_tokens) == (7, 3)
    sent = site.glob.requests[0]
    assert sent["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
    ]
    assert (sent["model"], sent["max_tokens"]) == ("m", 64)


def test_messages_stream_with_the_anthropic_client(site: Site) -> None:
    with site.anthropic().messages.stream(
        model="default", max_tokens=64, messages=[{"role": "user", "content": "hello"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
    } <= set(kinds)
    assert final.content[0].text == "global-0 global-1 global-2 global-3 "  # type: ignore[union-attr]
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 4)


def test_messages_accept_a_bearer_key(site: Site) -> None:
    response = httpx.post(
        f"{site.url}/v1/messages",
        json={"model": "default", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]},
        headers=auth(),
    )
    assert response.status_code == 200
    assert response.json()["type"] == "message"


def test_messages_errors_have_anthropic_shape(site: Site) -> None:
    with pytest.raises(anthropic.AuthenticationError) as denied:
        site.anthropic("sk-wrong").messages.create(
            model="default", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
    assert denied.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid API key"},
    }
    missing = httpx.post(
        f"{site.url}/v1/messages",
        json={"model": "default", "messages": [{"role": "user", "content": "x"}]},
        headers={"x-api-key": KEY},
    )
    assert (missing.status_code, missing.json()) == (
        400,
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "'max_tokens' is required"},
        },
    )


def test_messages_tool_use_round_trip_translates_both_ways(site: Site) -> None:
    site.anthropic().messages.create(
        model="default",
        max_tokens=64,
        tools=[{"name": "weather", "description": "w", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "weather"},
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "weather", "input": {"c": "x"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}],
            },
        ],
    )
    sent = site.glob.requests[0]
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {"name": "weather", "parameters": {"type": "object"}, "description": "w"},
        }
    ]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    assert sent["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "t1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"c":"x"}'},
            }
        ],
    }
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": "t1", "content": "sunny"}


def test_messages_tool_use_answers_json_and_streamed(site: Site) -> None:
    site.glob.tool_call = ("weather", '{"city":"Berlin"}')
    client = site.anthropic()
    ask: dict[str, Any] = {
        "model": "default",
        "max_tokens": 64,
        "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "weather?"}],
    }
    message = client.messages.create(**ask)
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert (block.type, block.id, block.name, block.input) == (  # type: ignore[union-attr]
        "tool_use",
        "call_1",
        "weather",
        {"city": "Berlin"},
    )
    with client.messages.stream(**ask) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    (block,) = final.content
    assert (block.type, block.name, block.input) == ("tool_use", "weather", {"city": "Berlin"})  # type: ignore[union-attr]


def test_responses_function_calls_json_and_streamed(site: Site) -> None:
    site.glob.tool_call = ("weather", '{"city":"Berlin"}')
    client = site.openai()
    tools: Any = [{"type": "function", "name": "weather", "parameters": {"type": "object"}}]
    response = client.responses.create(model="default", input="weather?", tools=tools)
    (item,) = response.output
    assert (item.type, item.call_id, item.name, item.arguments) == (  # type: ignore[union-attr]
        "function_call",
        "call_1",
        "weather",
        '{"city":"Berlin"}',
    )
    events = list(
        client.responses.create(model="default", input="weather?", tools=tools, stream=True)
    )
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(deltas) == '{"city":"Berlin"}'
    done = events[-1].response  # type: ignore[union-attr]
    assert [(o.type, o.name, o.arguments) for o in done.output] == [  # type: ignore[union-attr]
        ("function_call", "weather", '{"city":"Berlin"}')
    ]


# --- /v1/responses -------------------------------------------------------------------------


def test_responses_with_the_openai_client(site: Site) -> None:
    response = site.openai().responses.create(
        model="default", instructions="be brief", input="hello"
    )
    assert response.output_text == "answer from global"
    assert response.status == "completed"
    assert response.usage is not None
    assert response.usage.total_tokens == 10
    assert site.glob.requests[0]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
    ]


def test_responses_input_items_and_tools_pass_through(site: Site) -> None:
    site.openai().responses.create(
        model="default",
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
        tools=[
            {
                "type": "function",
                "name": "weather",
                "parameters": {"type": "object"},
                "strict": False,
            }
        ],
    )
    sent = site.glob.requests[0]
    assert sent["messages"] == [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {"name": "weather", "parameters": {"type": "object"}, "strict": False},
        }
    ]


def test_responses_stream_with_the_openai_client(site: Site) -> None:
    events = list(site.openai().responses.create(model="default", input="hello", stream=True))
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "global-0 global-1 global-2 global-3 "
    done = events[-1].response  # type: ignore[union-attr]
    assert done.output_text == "global-0 global-1 global-2 global-3 "
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_responses_refuse_server_side_state(site: Site) -> None:
    with pytest.raises(openai.BadRequestError, match="previous_response_id"):
        site.openai().responses.create(model="default", input="x", previous_response_id="resp_1")


# --- /v1/completions and /v1/embeddings ----------------------------------------------------


def test_legacy_completions_with_the_openai_client(site: Site) -> None:
    answer = site.openai().completions.create(model="default", prompt="say hi", max_tokens=5)
    assert answer.choices[0].text == "completion from global"
    stream = site.openai().completions.create(model="default", prompt="say hi", stream=True)
    assert (
        "".join(chunk.choices[0].text for chunk in stream) == "global-0 global-1 global-2 global-3 "
    )
    assert site.glob.paths == ["/v1/completions", "/v1/completions"]
    assert site.glob.requests[0]["model"] == "m"


def test_embeddings_with_the_openai_client(site: Site) -> None:
    result = site.openai().embeddings.create(model="default", input=["abc", "hello"])
    assert [d.embedding for d in result.data] == [[3.0, 0.5, -0.5], [5.0, 0.5, -0.5]]
    assert site.glob.paths == ["/v1/embeddings"]


def test_embeddings_refuse_token_arrays(site: Site) -> None:
    with pytest.raises(openai.BadRequestError, match="token arrays"):
        site.openai().embeddings.create(model="default", input=[[1, 2, 3]])
    assert site.glob.requests == []


def test_legacy_endpoints_name_the_backend_of_non_openai_targets(loop: LoopThread) -> None:
    cfg = configs.config(
        {
            "claude": {
                "backend": "anthropic",
                "model": "claude-x",
                "url": "http://127.0.0.1:9",
                "location": "cloud:aws:eu-central-1",
                "allowed_data_classes": ["public"],
                "auth": {"scheme": "none"},
            }
        },
        [{"name": "default", "targets": ["claude"]}],
    )
    url = loop.serve(create_app(cfg)).url
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
    with client:
        _refuse_both(client)


def _refuse_both(client: openai.OpenAI) -> None:
    for call in (
        lambda: client.embeddings.create(model="default", input="x"),
        lambda: client.completions.create(model="default", prompt="x"),
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            call()
        assert "claude (anthropic)" in refused.value.message
        assert refused.value.code == "endpoint_not_supported"


# --- residency on every endpoint -----------------------------------------------------------

_BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"model": "default", "messages": [{"role": "user", "content": PII}]},
    "/v1/messages": {
        "model": "default",
        "max_tokens": 8,
        "messages": [{"role": "user", "content": PII}],
    },
    "/v1/responses": {"model": "default", "input": PII},
    "/v1/completions": {"model": "default", "prompt": PII},
    "/v1/embeddings": {"model": "default", "input": PII},
}


@pytest.mark.parametrize("path", sorted(_BODIES))
@pytest.mark.parametrize("stream", [False, True])
def test_restricted_requests_never_reach_the_global_target(
    site: Site, path: str, stream: bool
) -> None:
    body = dict(_BODIES[path])
    if stream and path != "/v1/embeddings":
        body["stream"] = True
    response = httpx.post(f"{site.url}{path}", json=body, headers=auth())
    assert response.status_code == 200, response.text
    assert response.headers["x-inferplane-target"] == "zone"
    assert response.headers["x-inferplane-data-class"] == "restricted"
    assert site.glob.requests == []
    declared = httpx.post(
        f"{site.url}{path}",
        json=_BODIES[path] | {"model": "global"},  # pinning the global target
        headers={**auth(), "x-inferplane-data-class": "confidential"},
    )
    assert declared.status_code == 503
    assert site.glob.requests == []


@pytest.mark.parametrize("path", sorted(_BODIES))
def test_pii_refusal_says_so_and_is_counted_on_every_endpoint(loop: LoopThread, path: str) -> None:
    cfg_site = Site(loop, refused_data_classes={"restricted": "restricted data stays on site"})
    cfg_site.close()
    response = httpx.post(f"{cfg_site.url}{path}", json=_BODIES[path], headers=auth())
    assert response.status_code == 403
    text = response.text
    assert "PII detected in the request (email)" in text
    assert cfg_site.glob.requests == cfg_site.zone.requests == []
    metrics = httpx.get(f"{cfg_site.url}/metrics", headers=auth(configs.OPERATOR_KEY)).text
    assert (
        'inferplane_requests_total{route="-",target="-",status="403",'
        'data_class="restricted",reason="pii"} 1'
    ) in metrics


# --- operator niceties ---------------------------------------------------------------------


def test_every_429_says_when_to_retry(site: Site) -> None:
    # The key allows 3 requests a minute in fixed minutes: a run that crosses the top of a
    # minute starts a fresh window, so keep asking (at most two windows' worth) until refused.
    statuses = []
    for _ in range(8):
        response = httpx.post(
            f"{site.url}/v1/messages",
            json={
                "model": "default",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": "x"}],
            },
            headers={"x-api-key": KEY_CONFIDENTIAL},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert len(statuses) in (4, 5, 6, 7, 8), statuses
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_unknown_model_is_a_404_naming_the_known_ones(loop: LoopThread) -> None:
    up = loop.serve(FakeOpenAI("a").app)
    cfg = configs.config(
        {"a": target(up.url, ("public",))},
        [{"name": "chat", "match": {"alias": "chat"}, "targets": ["a"]}],
    )
    url = loop.serve(create_app(cfg)).url
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
    claude = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    with client, claude:
        _unknown_model(client, claude)


def _unknown_model(client: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "x"}])
    assert missing.value.code == "model_not_found"
    assert "known models: chat, a" in missing.value.message
    with pytest.raises(anthropic.NotFoundError, match="model 'gpt-5'"):
        claude.messages.create(
            model="gpt-5", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
    ok = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert ok.choices[0].message.content == "answer from a"


def test_refusals_are_counted_with_their_reason(site: Site) -> None:
    httpx.post(f"{site.url}/v1/chat/completions", json={"model": "default"}, headers={})
    httpx.post(
        f"{site.url}/v1/responses",
        json={"model": "default", "input": "x"},
        headers={"authorization": "Bearer nope"},
    )
    metrics = httpx.get(f"{site.url}/metrics", headers=auth(configs.OPERATOR_KEY)).text
    assert (
        'inferplane_requests_total{route="-",target="-",status="401",data_class="-",'
        'reason="invalid_api_key"} 2'
    ) in metrics


def test_openapi_describes_every_endpoint(site: Site) -> None:
    document = httpx.get(f"{site.url}/openapi.json").json()
    from inferplane.router.core import Gateway

    assert set(document["paths"]) == set(Gateway(site.config).endpoints)
    assert document["openapi"].startswith("3.1")


def test_cache_hits_are_answered_in_each_apis_shape(loop: LoopThread) -> None:
    cached = Site(loop, cache={"exact": {"enabled": True}})
    ask: dict[str, Any] = {
        "model": "default",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "cache me"}],
    }
    try:
        client = cached.anthropic()
        first = client.messages.create(**ask)
        again = client.messages.with_raw_response.create(**ask)
        assert again.headers["x-inferplane-cache"] == "hit"
        assert again.parse().content[0].text == first.content[0].text  # type: ignore[union-attr]
        with client.messages.stream(**ask) as stream:
            replayed = stream.get_final_message()
        # The cached chat answer replayed as a short stream, in Anthropic's events.
        assert replayed.content[0].text == "answer from global"  # type: ignore[union-attr]
        assert replayed.stop_reason == "end_turn"
        responses = cached.openai().responses
        one = responses.create(model="default", input="cache me too")
        two = responses.with_raw_response.create(model="default", input="cache me too")
        assert two.headers["x-inferplane-cache"] == "hit"
        assert two.parse().output_text == one.output_text == "answer from global"
    finally:
        cached.close()
    assert len(cached.glob.requests) == 2


def test_models_list_with_the_anthropic_client(site: Site) -> None:
    ids = [model.id for model in site.anthropic().models.list()]
    assert ids == ["global", "zone"]
