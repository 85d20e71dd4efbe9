"""Scale-to-zero targets (issue 16): the router waits for a cold target within the
request's latency budget, falls back when the budget cannot cover the warm-up, and
``/readyz`` tells cold (expected) from down (failing). The engine is a real loopback HTTP
server that takes N seconds to come up (``tests/router/warming.py``)."""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

import httpx
import pytest

from router.app import create_app
from router.cold import readiness
from router.config import ColdStartConfig, TargetConfig
from tests.router import configs
from tests.router.configs import OPERATOR_KEY, auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread, free_port
from tests.router.warming import WarmingEngine

BUDGET = "x-inferplane-latency-budget-ms"
COLD = {"warm_s": 1.0, "max_wait_s": 10.0, "poll_s": 0.1}
ROOM = {"connect": 0.5, "first_byte": 15.0, "total": 15.0}


def _cold(url: str, **cold: float) -> dict[str, Any]:
    return target(url, ("public",), cold={**COLD, **cold}, timeouts=ROOM)


def _router(loop: LoopThread, targets: dict[str, dict[str, Any]], **extra: Any) -> str:
    cfg = configs.config(targets, [{"name": "default", "targets": list(targets)}], **extra)
    return loop.serve(create_app(cfg)).url


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{url}/readyz", headers=auth(OPERATOR_KEY))
    return response.status_code, response.json()


def _ask(url: str, budget_ms: int | None = None, *, stream: bool = False) -> httpx.Response:
    headers = auth() | ({BUDGET: str(budget_ms)} if budget_ms is not None else {})
    return httpx.post(
        f"{url}/v1/chat/completions", json=chat(stream=stream), headers=headers, timeout=30
    )


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_a_generous_budget_waits_for_the_cold_target(
    loop: LoopThread, mode: Any, stream: bool
) -> None:
    engine = WarmingEngine(loop, "gpu", up_after=2.0, mode=mode)
    backup = loop.serve(FakeOpenAI("backup").app)
    url = _router(loop, {"gpu": _cold(engine.url), "backup": target(backup.url, ("public",))})
    assert time.monotonic() < engine.up_at  # still cold when the request starts
    answer = _ask(url, 8000, stream=stream)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-inferplane-target"] == "gpu"
    assert "gpu" in answer.text
    assert ("data: [DONE]" in answer.text) == stream
    assert engine.up_at <= time.monotonic() < engine.up_at + 5  # it waited for the warm-up
    if mode == "503":
        assert engine.refused >= 1  # it did answer 503 + Retry-After while warming
    assert _ready(url)[1]["targets"] == {"gpu": "ready", "backup": "ready"}


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_a_tight_budget_falls_back_without_opening_the_breaker(loop: LoopThread, mode: Any) -> None:
    engine = WarmingEngine(loop, "gpu", up_after=30.0, mode=mode)
    backup = FakeOpenAI("backup")
    served = loop.serve(backup.app)
    url = _router(loop, {"gpu": _cold(engine.url), "backup": target(served.url, ("public",))})
    for _ in range(7):  # more than the breaker's failure threshold (5)
        started = time.monotonic()
        answer = _ask(url, 300)
        assert time.monotonic() - started < 1.0
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-inferplane-target"] == "backup"
    assert engine.fake.requests == []  # never waited on
    assert len(backup.requests) == 7
    status, body = _ready(url)
    assert (status, body["status"], body["targets"]) == (
        200,
        "ready",
        {"gpu": "cold", "backup": "ready"},
    )
    metrics = httpx.get(f"{url}/metrics", headers=auth(OPERATOR_KEY)).text
    assert 'inferplane_upstream_attempts_total{target="gpu",outcome="target_cold"} 7' in metrics


def test_a_fallback_wakes_the_cold_target_for_later_requests(loop: LoopThread) -> None:
    engine = WarmingEngine(loop, "gpu", up_after=0.8, mode="503")
    backup = loop.serve(FakeOpenAI("backup").app)
    url = _router(loop, {"gpu": _cold(engine.url), "backup": target(backup.url, ("public",))})
    assert _ask(url, 300).headers["x-inferplane-target"] == "backup"  # its wake-up: a 503
    time.sleep(1.0)  # the engine is up now; nothing told the router yet
    assert _ask(url, 300).headers["x-inferplane-target"] == "backup"  # wakes it: 200
    for _ in range(50):
        if _ready(url)[1]["targets"]["gpu"] == "ready":
            break
        time.sleep(0.05)
    assert engine.probes == 1
    assert _ask(url, 300).headers["x-inferplane-target"] == "gpu"


def test_a_warm_target_that_fails_is_not_waited_for(loop: LoopThread) -> None:
    """Only a refused connection says a ready target scaled to zero again; its 503 is a
    failure like any other target's: fall back at once, not after max_wait_s."""
    gpu = FakeOpenAI("gpu")
    served = loop.serve(gpu.app)
    backup = loop.serve(FakeOpenAI("backup").app)
    url = _router(loop, {"gpu": _cold(served.url), "backup": target(backup.url, ("public",))})
    assert _ask(url).headers["x-inferplane-target"] == "gpu"
    gpu.mode = "status"  # 503
    started = time.monotonic()
    assert _ask(url).headers["x-inferplane-target"] == "backup"
    assert time.monotonic() - started < 2
    assert _ready(url)[1]["targets"]["gpu"] == "ready"
    served.stop()  # the pods are gone: the next request waits for it as a cold target
    assert _ask(url, 400).headers["x-inferplane-target"] == "backup"
    assert _ready(url)[1]["targets"]["gpu"] == "cold"


def test_readyz_reports_cold_then_ready(loop: LoopThread) -> None:
    engine = WarmingEngine(loop, "gpu", up_after=1.5)
    url = _router(loop, {"gpu": _cold(engine.url)})
    assert httpx.get(f"{url}/readyz").json() == {"status": "cold"}  # scaled to zero: 200
    assert _ready(url) == (200, {"status": "cold", "healthy": [], "targets": {"gpu": "cold"}})
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(_ask, url, 10_000)
        time.sleep(0.5)
        assert not pending.done()
        assert _ready(url) == (200, {"status": "cold", "healthy": [], "targets": {"gpu": "cold"}})
        answer = pending.result(15)
    assert answer.status_code == 200
    assert answer.headers["x-inferplane-target"] == "gpu"
    assert _ready(url) == (
        200,
        {"status": "ready", "healthy": ["gpu"], "targets": {"gpu": "ready"}},
    )


def test_a_dead_target_is_down(loop: LoopThread) -> None:
    """A scale-to-zero target that does not come up within max_wait_s is down (not cold),
    and so is an ordinary target whose breaker opened; none left: 503 unavailable."""
    dead = f"http://127.0.0.1:{free_port()}"
    gone = f"http://127.0.0.1:{free_port()}"
    url = _router(
        loop,
        {
            "gpu": _cold(dead, warm_s=0.2, max_wait_s=0.6),
            "gone": target(gone, ("public",)),
        },
        breaker={"failure_threshold": 1, "reset_timeout_s": 60},
    )
    assert _ready(url)[1]["targets"] == {"gpu": "cold", "gone": "ready"}
    refused = _ask(url)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "all_targets_failed"
    assert "gpu: target_cold" in refused.json()["error"]["message"]
    time.sleep(0.7)  # past max_wait_s since the target was found cold
    assert _ready(url) == (
        503,
        {"status": "unavailable", "healthy": [], "targets": {"gpu": "down", "gone": "down"}},
    )
    assert httpx.get(f"{url}/readyz").json() == {"status": "unavailable"}


def test_cold_timeouts_must_leave_room_for_the_wait() -> None:
    document = target("http://127.0.0.1:1", ("public",), cold=COLD)  # FAST timeouts
    with pytest.raises(ValueError, match=r"must leave room for cold.max_wait_s 10.0"):
        TargetConfig.model_validate(document)
    roomy = TargetConfig.cold_timeouts(ColdStartConfig(**COLD))
    assert (roomy.first_byte, roomy.total) == (40.0, 130.0)
    with pytest.raises(ValueError, match="cold applies to backend 'openai' only"):
        TargetConfig.model_validate(
            {**document, "backend": "bedrock", "timeouts": ROOM, "url": None}
        )


class _Breaker:
    def __init__(self, available: bool) -> None:
        self._available = available

    def available(self) -> bool:
        return self._available


def test_readiness_table() -> None:
    up, down = _Breaker(True), _Breaker(False)
    assert readiness({"a": up, "b": down}, {}) == (
        200,
        {"status": "ready"},
        {"status": "ready", "healthy": ["a"], "targets": {"a": "ready", "b": "down"}},
    )
    assert readiness({"a": down}, {"a": object()}) == (
        503,
        {"status": "unavailable"},
        {"status": "unavailable", "healthy": [], "targets": {"a": "down"}},
    )
