"""Unit tables for the pieces the core composes: classify, decide, breaker, caches, log."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import orjson
import pytest

from inferplane.router.accesslog import AccessLog
from inferplane.router.auth import KeyRing, hash_key, new_key
from inferplane.router.cache import CachedAnswer, cache_key
from inferplane.router.chat import parse_chat_request
from inferplane.router.classify import Classifier, estimate_tier
from inferplane.router.config import BreakerConfig, RouterConfig
from inferplane.router.decide import RouteTable
from inferplane.router.errors import AuthenticationError, NoTargetError, PermissionDeniedError
from inferplane.router.metrics import Metrics
from inferplane.router.resilience import CircuitBreaker, backoff_delay
from inferplane.router.serve import CONFIG_ENV, load_config
from inferplane.router.state import MemoryStore
from tests.router import configs
from tests.router.configs import KEY, chat, target


def _config() -> RouterConfig:
    url = "http://127.0.0.1:9"
    return configs.config(
        {
            "edge": target(url, ("public", "confidential", "restricted"), latency_ms_p50=20),
            "cloud": target(url, ("public", "confidential"), latency_ms_p50=400),
            "big": target(url, ("public",), latency_ms_p50=900),
        },
        [
            {"name": "restricted", "match": {"data_class": "restricted"}, "targets": ["edge"]},
            {"name": "fast", "match": {"latency_ms_max": 100}, "targets": ["edge", "cloud"]},
            {"name": "complex", "match": {"tier": "complex"}, "targets": ["big", "cloud"]},
            {"name": "coder", "match": {"alias": "coder"}, "targets": ["cloud", "edge"]},
            {"name": "default", "targets": ["cloud", "edge"], "max_tokens": 256},
        ],
        limits={"max_tokens": 1000},
    )


@pytest.mark.parametrize(
    ("content", "model", "headers", "route", "targets", "data_class"),
    [
        ("hi", "default", {}, "default", ("cloud", "edge"), "public"),
        ("mail a@b.io", "default", {}, "restricted", ("edge",), "restricted"),
        ("hi", "default", {"x-inferplane-latency-budget-ms": "50"}, "fast", ("edge",), "public"),
        (
            "hi",
            "default",
            {"x-inferplane-latency-budget-ms": "500"},
            "default",
            ("cloud", "edge"),
            "public",
        ),
        ("please prove this lemma", "default", {}, "complex", ("big", "cloud"), "public"),
        ("hi", "complex", {}, "complex", ("big", "cloud"), "public"),
        ("hi", "coder", {}, "coder", ("cloud", "edge"), "public"),
        (
            "hi",
            "default",
            {"x-inferplane-data-class": "confidential"},
            "default",
            ("cloud", "edge"),
            "confidential",
        ),
        ("hi", "edge", {}, "default", ("edge",), "public"),
    ],
)
def test_route_decisions(
    content: str,
    model: str,
    headers: dict[str, str],
    route: str,
    targets: tuple[str, ...],
    data_class: str,
) -> None:
    config = _config()
    key = config.keys[0]
    request = parse_chat_request(orjson.dumps(chat(content, model=model)))
    classification = Classifier(config).classify(request, key, headers)
    decision = RouteTable(config).decide(classification, key)
    assert (decision.route.name, decision.targets, classification.data_class) == (
        route,
        targets,
        data_class,
    )


def test_complex_tier_never_sends_restricted_data_to_a_cloud_target() -> None:
    config = _config()
    request = parse_chat_request(
        orjson.dumps(chat("prove it; card 4111 1111 1111 1111", model="complex"))
    )
    classification = Classifier(config).classify(request, config.keys[0], {})
    decision = RouteTable(config).decide(classification, config.keys[0])
    assert decision.targets == ("edge",)


def test_data_class_refused_at_this_routers_location_never_reaches_a_route() -> None:
    base = _config()
    config = base.model_copy(
        update={"refused_data_classes": {"restricted": "restricted may not pass through here"}}
    )
    request = parse_chat_request(orjson.dumps(chat("card 4111 1111 1111 1111", model="complex")))
    classification = Classifier(config).classify(request, config.keys[0], {})
    assert classification.data_class == "restricted"
    with pytest.raises(PermissionDeniedError, match="may not pass through here"):
        RouteTable(config).decide(classification, config.keys[0])


def test_pinned_target_outside_residency_is_refused() -> None:
    base = _config()
    # Without the restricted route, restricted data matches "default", which lists cloud.
    config = base.model_copy(update={"routes": base.routes[1:]})
    request = parse_chat_request(orjson.dumps(chat("mail a@b.io", model="cloud")))
    classification = Classifier(config).classify(request, config.keys[0], {})
    with pytest.raises(NoTargetError, match="residency"):
        RouteTable(config).decide(classification, config.keys[0])


def test_key_bound_to_routes() -> None:
    config = _config()
    key = config.keys[0].model_copy(update={"routes": ("coder",)})
    request = parse_chat_request(orjson.dumps(chat("hi")))
    classification = Classifier(config).classify(request, key, {})
    with pytest.raises(PermissionDeniedError, match="coder"):
        RouteTable(config).decide(classification, key)


def test_tier_heuristic() -> None:
    assert estimate_tier("hi", "hi") == "simple"
    assert estimate_tier("x" * 1000, "x") == "moderate"
    assert estimate_tier("x" * 9000, "x") == "complex"
    assert estimate_tier("debug this", "debug this") == "complex"


def test_keys_are_hashed_and_checked() -> None:
    plaintext, key = new_key("svc", data_classes=["public"])
    assert key.sha256 == hash_key(plaintext, key.salt)
    assert plaintext not in key.model_dump_json()
    ring = KeyRing((key,))
    assert ring.authenticate(f"Bearer {plaintext}").id == "svc"
    assert ring.authenticate(None, plaintext).id == "svc"  # Azure-style api-key header
    with pytest.raises(AuthenticationError):
        ring.authenticate(f"Bearer {KEY}")
    with pytest.raises(AuthenticationError):
        ring.authenticate("Basic abc")


def test_breaker_half_open_allows_one_probe() -> None:
    now = [0.0]
    breaker = CircuitBreaker(BreakerConfig(failure_threshold=2, reset_timeout_s=5), lambda: now[0])
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    now[0] = 5
    assert breaker.available()
    assert breaker.allow()  # the probe
    assert breaker.state == "half_open"
    assert not breaker.allow()  # only one probe at a time
    breaker.record_failure()
    assert breaker.state == "open"
    now[0] = 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_abandoned_probe_does_not_wedge_the_breaker() -> None:
    now = [0.0]
    breaker = CircuitBreaker(BreakerConfig(failure_threshold=1, reset_timeout_s=5), lambda: now[0])
    breaker.record_failure()
    now[0] = 5
    assert breaker.allow()  # a probe that never reports back
    now[0] = 10
    assert breaker.allow()


def test_backoff_is_bounded_and_jittered() -> None:
    delays = [backoff_delay(attempt) for attempt in range(10) for _ in range(20)]
    assert max(delays) <= 0.5
    assert len(set(delays)) > 100


def test_memory_store_ttl_and_size_bound() -> None:
    now = [0.0]
    store = MemoryStore(max_entries=2, clock=lambda: now[0])

    async def scenario() -> list[Any]:
        await store.set("a", b"1", 10)
        await store.set("b", b"2", 10)
        await store.get("a")  # a is now the most recently used
        await store.set("c", b"3", 10)  # evicts b
        seen = [await store.get(k) for k in ("a", "b", "c")]
        now[0] = 11
        seen.append(await store.get("a"))
        seen.append(len(store))
        seen += [await store.hit("k", 60), await store.hit("k", 60)]
        now[0] = 61
        seen.append(await store.hit("k", 60))
        return seen

    assert asyncio.run(scenario()) == [b"1", None, b"3", None, 1, 1, 2, 1]


def test_cache_key_is_canonical_and_namespaced() -> None:
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0,
    }
    reordered = dict(reversed(list(body.items())))
    assert cache_key("public|r", body) == cache_key("public|r", {**reordered, "stream": True})
    assert cache_key("public|r", body) != cache_key("restricted|r", body)
    assert CachedAnswer.decode(CachedAnswer("t", b'{"a":1}').encode()).body == b'{"a":1}'


def test_metrics_render_prometheus_text() -> None:
    metrics = Metrics()
    metrics.request("default", "edge", 200, "public")
    metrics.usage("edge", 10, 5, 0.0001)
    metrics.upstream_latency("edge", 0.03)
    text = metrics.render().decode()
    assert (
        'inferplane_requests_total{route="default",target="edge",status="200",'
        'data_class="public",reason="ok"} 1' in text
    )
    assert 'inferplane_tokens_total{target="edge",kind="completion"} 5' in text
    assert 'inferplane_upstream_seconds_bucket{target="edge",le="0.05"} 1' in text
    assert 'inferplane_upstream_seconds_count{target="edge"} 1' in text


def test_access_log_is_bounded_and_survives_a_broken_sink() -> None:
    sink = io.BytesIO()
    log = AccessLog(sink, max_queue=3)
    for index in range(5):
        log.record({"n": index})
    assert log.dropped == 2
    log.flush()
    assert [orjson.loads(line)["n"] for line in sink.getvalue().splitlines()] == [2, 3, 4]
    sink.close()
    log.record({"n": 9})
    log.flush()  # closed sink: records dropped, no exception
    assert log.dropped == 3


def test_config_from_file_or_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _config().to_json()
    path = tmp_path / "router.json"
    path.write_text(text)
    assert load_config(str(path)).stack == "test"
    monkeypatch.setenv(CONFIG_ENV, text)
    assert load_config().stack == "test"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    assert load_config().stack == "test"


def test_semantic_namespace_holds_tenant_params_and_earlier_turns() -> None:
    from inferplane.router.cache import namespace, semantic_namespace

    def body(*turns: tuple[str, str], **params: Any) -> dict[str, Any]:
        messages = [{"role": r, "content": c} for r, c in turns]
        return {"model": "m", "messages": messages, **params}

    a = namespace("key:a", "public", "default")
    b = namespace("key:b", "public", "default")
    question = ("user", "what is the holiday policy")
    system = ("system", "a long shared system prompt")
    assert semantic_namespace(a, body(system, question)) == semantic_namespace(
        a, body(system, ("user", "something else entirely"), user="x", stream=True)
    )
    assert semantic_namespace(a, body(system, question)) != semantic_namespace(
        b, body(system, question)
    )
    assert semantic_namespace(a, body(question)) != semantic_namespace(a, body(system, question))
    assert semantic_namespace(a, body(question)) != semantic_namespace(
        a, body(question, temperature=1)
    )
    assert semantic_namespace(a, body(question, ("tool", "42"))) is None
    assert namespace("a|b", "c", "r") != namespace("a", "b|c", "r")


def test_memory_store_bounds_rate_windows() -> None:
    from inferplane.router import state

    store = MemoryStore()
    limit = state._MAX_WINDOWS

    async def scenario() -> int:
        for index in range(limit + 5):
            await store.hit(f"client:{index}", 60)
        return len(store._windows)

    assert asyncio.run(scenario()) <= limit
