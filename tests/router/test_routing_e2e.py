"""The router against fake upstreams over real loopback HTTP."""

from __future__ import annotations

import httpx
import openai
import orjson
import pytest

from inferplane.router.app import create_app
from inferplane.router.core import Gateway
from tests.router import configs
from tests.router.configs import auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread, Served


def _serve(
    loop: LoopThread, primary: FakeOpenAI, fallback: FakeOpenAI, **extra: object
) -> tuple[list[Served], Served]:
    ups = [loop.serve(primary.app), loop.serve(fallback.app)]
    cfg = configs.config(
        {
            "primary": target(ups[0].url, ("public", "confidential")),
            "fallback": target(ups[1].url, ("public", "confidential", "restricted")),
        },
        [{"name": "default", "targets": ["primary", "fallback"]}],
        **extra,
    )
    router = loop.serve(create_app(cfg))
    return ups, router


def breaker_state(gateway: Gateway, target: str) -> str:
    """Read afresh each time (mypy would keep a narrowed attribute across requests)."""
    return gateway.breakers[target].state


def test_json_answer_comes_from_the_first_target(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _, router = _serve(loop, primary, fallback)
    response = httpx.post(f"{router.url}/v1/chat/completions", json=chat(), headers=auth())
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "answer from primary"
    assert response.headers["x-inferplane-target"] == "primary"
    assert primary.requests[0]["model"] == "m"


@pytest.mark.parametrize("mode", ["status", "hang", "reset", "down"])
def test_falls_back_when_the_first_target_fails(loop: LoopThread, mode: str) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    ups, router = _serve(loop, primary, fallback)
    primary.mode = mode
    if mode == "down":
        ups[0].stop()
    response = httpx.post(f"{router.url}/v1/chat/completions", json=chat(), headers=auth())
    primary.release.set()
    assert response.status_code == 200, response.text
    assert response.headers["x-inferplane-target"] == "fallback"


def _stream_events(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.text.split("\n") if line.startswith("data: ")]


def test_stream_relays_chunks_in_order(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary", chunks=20), FakeOpenAI("fallback")
    _serve(loop, primary, fallback)
    router = loop.served[-1]
    response = httpx.post(
        f"{router.url}/v1/chat/completions", json=chat(stream=True), headers=auth()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _stream_events(response)
    assert events[-1] == "[DONE]"
    contents = [
        c["choices"][0]["delta"].get("content")
        for c in map(orjson.loads, events[:-1])
        if c["choices"]
    ]
    assert contents[:20] == [f"primary-{i} " for i in range(20)]
    # The router asked for usage to meter it, but the client did not: no usage chunk.
    assert all(orjson.loads(e).get("choices") for e in events[:-1])
    assert primary.requests[0]["stream_options"] == {"include_usage": True}


def test_stream_falls_back_before_the_first_byte(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _serve(loop, primary, fallback)
    primary.mode = "status"
    router = loop.served[-1]
    response = httpx.post(
        f"{router.url}/v1/chat/completions", json=chat(stream=True), headers=auth()
    )
    assert response.headers["x-inferplane-target"] == "fallback"
    assert _stream_events(response)[-1] == "[DONE]"


def test_midstream_failure_ends_with_an_error_event_and_no_done(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _serve(loop, primary, fallback)
    primary.mode = "midstream"
    router = loop.served[-1]
    response = httpx.post(
        f"{router.url}/v1/chat/completions", json=chat(stream=True), headers=auth()
    )
    events = _stream_events(response)
    assert "[DONE]" not in events
    last = orjson.loads(events[-1])
    assert last["error"]["code"] == "stream_interrupted"
    assert "event: error" in response.text
    # No fallback after tokens reached the client: the fallback never saw the request.
    assert fallback.requests == []


def test_breaker_opens_and_recovers(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    clock = [0.0]
    ups = [loop.serve(primary.app), loop.serve(fallback.app)]
    cfg = configs.config(
        {
            "primary": target(ups[0].url, ("public",), max_retries=0),
            "fallback": target(ups[1].url, ("public",)),
        },
        [{"name": "default", "targets": ["primary", "fallback"]}],
        breaker={"failure_threshold": 2, "reset_timeout_s": 10},
    )
    gateway = Gateway(cfg, clock=lambda: clock[0])
    router = loop.serve(create_app(cfg, gateway=gateway))
    primary.mode = "status"
    with httpx.Client(base_url=router.url, headers=auth()) as client:
        for _ in range(2):
            assert client.post("/v1/chat/completions", json=chat()).status_code == 200
        assert gateway.breakers["primary"].state == "open"
        seen = len(primary.requests)
        assert client.post("/v1/chat/completions", json=chat()).status_code == 200
        assert len(primary.requests) == seen  # open: primary skipped
        primary.mode = "ok"
        clock[0] += 11  # reset period over: one probe goes through and closes the breaker
        answer = client.post("/v1/chat/completions", json=chat())
        assert answer.headers["x-inferplane-target"] == "primary"
        assert breaker_state(gateway, "primary") == "closed"
        metrics = client.get("/metrics", headers=configs.auth(configs.OPERATOR_KEY)).text
    assert 'inferplane_breaker_state{target="primary"} 0' in metrics


def test_restricted_data_never_reaches_a_non_resident_target(loop: LoopThread) -> None:
    edge, cloud = FakeOpenAI("edge"), FakeOpenAI("cloud")
    ups = [loop.serve(edge.app), loop.serve(cloud.app)]
    cfg = configs.config(
        {
            "edge": target(ups[0].url, ("public", "confidential", "restricted")),
            "cloud": target(ups[1].url, ("public",)),
        },
        [{"name": "default", "targets": ["edge", "cloud"]}],
    )
    router = loop.serve(create_app(cfg))
    edge.mode = "status"  # the only resident target fails: no fallback to the cloud
    with httpx.Client(base_url=router.url, headers=auth()) as client:
        card = chat("charge my card 4111 1111 1111 1111 please")
        response = client.post("/v1/chat/completions", json=card)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "all_targets_failed"
        confidential = client.post(
            "/v1/chat/completions",
            json=chat(),
            headers={"x-inferplane-data-class": "confidential"},
        )
        assert confidential.status_code == 503
        assert confidential.json()["error"]["code"] == "all_targets_failed"
        assert cloud.requests == []
        edge.mode = "ok"
        ok = client.post("/v1/chat/completions", json=card)
        assert ok.headers["x-inferplane-target"] == "edge"
        assert ok.headers["x-inferplane-data-class"] == "restricted"
        public = client.post("/v1/chat/completions", json=chat())
        assert public.headers["x-inferplane-data-class"] == "public"
    assert cloud.requests == []


def test_no_resident_target_is_a_503_naming_residency(loop: LoopThread) -> None:
    cloud = FakeOpenAI("cloud")
    up = loop.serve(cloud.app)
    cfg = configs.config(
        {"cloud": target(up.url, ("public",))},
        [{"name": "default", "targets": ["cloud"]}],
    )
    router = loop.serve(create_app(cfg))
    response = httpx.post(
        f"{router.url}/v1/chat/completions",
        json=chat("mail me at jane.doe@example.org"),
        headers=auth(),
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "no_resident_target"
    assert "restricted" in error["message"]
    assert "residency" in error["message"]
    assert cloud.requests == []


def test_exact_cache_hit_skips_the_upstream(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _serve(loop, primary, fallback, cache={"exact": {"enabled": True}})
    router = loop.served[-1]
    with httpx.Client(base_url=router.url, headers=auth()) as client:
        first = client.post("/v1/chat/completions", json=chat("cache me"))
        second = client.post("/v1/chat/completions", json=chat("cache me"))
        streamed = client.post("/v1/chat/completions", json=chat("cache me", stream=True))
        other = client.post("/v1/chat/completions", json=chat("something else"))
    assert first.headers["x-inferplane-cache"] == "miss"
    assert second.headers["x-inferplane-cache"] == "hit"
    assert second.json() == first.json()
    assert streamed.headers["x-inferplane-cache"] == "hit"
    assert _stream_events(streamed)[-1] == "[DONE]"
    assert other.headers["x-inferplane-cache"] == "miss"
    assert len(primary.requests) == 2


def test_semantic_cache_hit_skips_the_upstream(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _serve(
        loop,
        primary,
        fallback,
        cache={"exact": {"enabled": False}, "semantic": {"enabled": True, "threshold": 0.8}},
    )
    router = loop.served[-1]
    prompt = "what is the capital city of france and how many people live there today"
    with httpx.Client(base_url=router.url, headers=auth()) as client:
        client.post("/v1/chat/completions", json=chat(prompt))
        near = client.post("/v1/chat/completions", json=chat(prompt + " please"))
        far = client.post("/v1/chat/completions", json=chat("write a haiku about rust"))
    assert near.headers["x-inferplane-cache"] == "hit"
    assert far.headers["x-inferplane-cache"] == "miss"
    assert len(primary.requests) == 2


def test_official_openai_client_works_unchanged(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary", chunks=4), FakeOpenAI("fallback")
    _serve(loop, primary, fallback)
    router = loop.served[-1]
    client = openai.OpenAI(base_url=f"{router.url}/v1", api_key=configs.KEY, max_retries=0)
    with client:
        answer = client.chat.completions.create(
            model="default", messages=[{"role": "user", "content": "hi"}]
        )
        assert answer.choices[0].message.content == "answer from primary"
        assert answer.usage is not None
        assert answer.usage.total_tokens == 10
        stream = client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "".join(f"primary-{i} " for i in range(4))
        assert chunks[-1].usage is not None
        models = [m.id for m in client.models.list()]
        assert {"primary", "fallback"} <= set(models)
        primary.mode = "midstream"
        primary.chunks = 5
        with pytest.raises(openai.APIError):
            list(
                client.chat.completions.create(
                    model="default", messages=[{"role": "user", "content": "hi"}], stream=True
                )
            )
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=f"{router.url}/v1", api_key="wrong", max_retries=0
            ).chat.completions.create(model="default", messages=[{"role": "user", "content": "x"}])


def test_upstream_connections_are_reused_after_streams(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _serve(loop, primary, fallback)
    router = loop.served[-1]
    with httpx.Client(base_url=router.url, headers=auth()) as client:
        for _ in range(3):
            response = client.post("/v1/chat/completions", json=chat(stream=True))
            assert response.text.endswith("data: [DONE]\n\n")
    # A stream released before the upstream's end would close its connection each time.
    assert len(set(primary.peers)) == 1
