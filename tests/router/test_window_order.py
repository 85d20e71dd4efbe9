"""Context windows (rendered from the spec, checked before each attempt), cost order within
a route, and the upstream latency metric measured from the upstream call."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from inferplane.plan import run_program
from inferplane.routerconfig import endpoints_from_graph, render_router_config
from inferplane.spec import load_stack
from inferplane.spec.routes import Route
from router.config import RouteConfig, TargetConfig
from router.core import Gateway, Request
from router.ordering import route_order
from router.state import MemoryStore
from tests.router import configs
from tests.router.configs import KEY_CONFIDENTIAL, OPERATOR_KEY, target
from tests.router.fakes import FakeOpenAI, LoopThread

ROOT = Path(__file__).resolve().parents[2]


@cache
def _rendered(stack: str) -> dict[str, Any]:
    graph = run_program(ROOT, load_stack(ROOT, stack))
    (router,) = [r for r in graph.resources if r.type == "inferplane:index:RouterService"]
    config: dict[str, Any] = json.loads(router.outputs["config_json"])
    return config


@pytest.mark.parametrize(
    ("stack", "windows"),
    [
        # Bedrock Nova Lite (table) and a llama.cpp edge model (serving.context_length).
        ("dev", {"claude-haiku": 300_000, "llama-lab": 8192}),
        # Azure OpenAI gpt-4o-mini (table), Azure ML with no known window, an ACA engine.
        ("prod-westeurope", {"gpt-4o-mini": 128_000, "mistral-ml": None, "phi-aca": 4096}),
    ],
)
def test_context_windows_are_rendered_from_the_spec(
    stack: str, windows: dict[str, int | None]
) -> None:
    targets = _rendered(stack)["targets"]
    assert {name: t.get("context_window") for name, t in targets.items()} == windows


def _two_targets(
    loop: LoopThread, small: dict[str, Any], big: dict[str, Any], **route: Any
) -> tuple[Gateway, FakeOpenAI, FakeOpenAI]:
    ups = FakeOpenAI("small"), FakeOpenAI("big")
    urls = [loop.serve(up.app).url for up in ups]
    cfg = configs.config(
        {
            "small": target(urls[0], ("public",), **small),
            "big": target(urls[1], ("public",), **big),
        },
        [{"name": "default", "targets": ["small", "big"], **route}],
        pii_data_class=None,
    )
    return Gateway(cfg), ups[0], ups[1]


def _send(
    loop: LoopThread, gateway: Gateway, body: dict[str, Any]
) -> tuple[int, dict[str, str], Any]:
    async def run() -> tuple[int, dict[str, str], Any]:
        await gateway.start()
        try:
            response = await gateway.handle(
                Request("POST", "/v1/chat/completions", configs.auth(), orjson.dumps(body))
            )
        finally:
            await gateway.close()
        return response.status, response.headers, orjson.loads(response.body)

    return loop.run(run())


LONG = "word " * 2000  # 10,000 characters: ~2,500 tokens by the estimate


def test_a_target_whose_window_is_too_small_is_skipped(loop: LoopThread) -> None:
    gateway, small, big = _two_targets(loop, {"context_window": 2048}, {"context_window": 128_000})
    status, headers, _ = _send(loop, gateway, configs.chat(LONG, max_tokens=100))
    assert (status, headers["x-inferplane-target"]) == (200, "big")
    assert (len(small.requests), len(big.requests)) == (0, 1)


def test_max_tokens_counts_against_the_window(loop: LoopThread) -> None:
    gateway, small, _ = _two_targets(loop, {"context_window": 2048}, {})
    status, headers, _ = _send(loop, gateway, configs.chat("short", max_tokens=2043))
    assert (status, headers["x-inferplane-target"]) == (200, "big")
    assert small.requests == []


def test_a_prompt_that_fits_goes_to_the_first_target(loop: LoopThread) -> None:
    # "short": 2 tokens + 4 for the message; 6 + 2042 = 2048 fits exactly.
    gateway, _, _ = _two_targets(loop, {"context_window": 2048}, {})
    status, headers, _ = _send(loop, gateway, configs.chat("short", max_tokens=2042))
    assert (status, headers["x-inferplane-target"]) == (200, "small")


def test_when_no_window_takes_the_prompt_the_503_names_each_target(loop: LoopThread) -> None:
    gateway, small, big = _two_targets(loop, {"context_window": 1024}, {"context_window": 2048})
    status, _, answer = _send(loop, gateway, configs.chat(LONG, max_tokens=100))
    error = answer["error"]
    assert (status, error["code"]) == (503, "context_window_exceeded")
    assert "small: context window 1024 tokens < ~2504 prompt + 100 max_tokens" in error["message"]
    assert "big: context window 2048 tokens < ~2504 prompt + 100 max_tokens" in error["message"]
    assert small.requests == big.requests == []


def _priced(input_1k: float | None, output_1k: float | None) -> TargetConfig:
    return TargetConfig.model_validate(
        {
            "backend": "openai",
            "model": "m",
            "location": "cloud:aws:us-east-1",
            "allowed_data_classes": ["public"],
            "input_cost_per_1k": input_1k,
            "output_cost_per_1k": output_1k,
        }
    )


def test_cost_order_sorts_by_price_unpriced_last_ties_as_listed() -> None:
    targets = {
        "unpriced": _priced(None, None),
        "dear": _priced(0.0025, 0.01),
        "cheap-a": _priced(0.00015, 0.0006),
        "cheap-b": _priced(0.0006, 0.00015),
    }
    listed = ("unpriced", "dear", "cheap-a", "cheap-b")
    by_cost = RouteConfig(name="r", targets=listed, order="cost")
    assert route_order(by_cost, targets) == ("cheap-a", "cheap-b", "dear", "unpriced")
    assert route_order(RouteConfig(name="r", targets=listed), targets) == listed


def test_cost_order_picks_the_cheaper_target_first(loop: LoopThread) -> None:
    dear = {"input_cost_per_1k": 0.0025, "output_cost_per_1k": 0.01}
    cheap = {"input_cost_per_1k": 0.00015, "output_cost_per_1k": 0.0006}
    gateway, _, _ = _two_targets(loop, dear, cheap, order="cost")
    status, headers, _ = _send(loop, gateway, configs.chat())
    assert (status, headers["x-inferplane-target"]) == (200, "big")
    gateway, _, _ = _two_targets(loop, dear, cheap)  # listed: as written
    assert _send(loop, gateway, configs.chat())[1]["x-inferplane-target"] == "small"


def test_cost_order_is_rendered_from_the_spec() -> None:
    stack = load_stack(ROOT, "dev")
    routes = [r.model_copy(update={"order": "cost"}) for r in stack.spec.routes]
    spec = stack.spec.model_copy(update={"routes": routes})
    graph = run_program(ROOT, stack)
    config = render_router_config(spec, "dev", endpoints_from_graph(graph, spec))
    assert [r.order for r in config.routes] == ["cost"] * len(routes)
    assert Route.model_validate({"targets": ["a"]}).order == "listed"


class SlowStore(MemoryStore):
    """A rate-limit store that takes 0.3 s to answer: time before the upstream call."""

    async def hit(self, key: str, window_s: int) -> int:
        await asyncio.sleep(0.3)
        return await super().hit(key, window_s)


def test_upstream_seconds_start_at_the_upstream_call(loop: LoopThread) -> None:
    up = FakeOpenAI("cloud")
    cfg = configs.config(
        {"cloud": target(loop.serve(up.app).url, ("confidential",))},
        [{"name": "default", "targets": ["cloud"]}],
    )
    gateway = Gateway(cfg, store=SlowStore())

    async def run() -> bytes:
        await gateway.start()
        try:
            chat = orjson.dumps(configs.chat())
            headers = configs.auth(KEY_CONFIDENTIAL)  # a key with a rate limit
            answer = await gateway.handle(Request("POST", "/v1/chat/completions", headers, chat))
            assert answer.status == 200
            metrics = await gateway.handle(Request("GET", "/metrics", configs.auth(OPERATOR_KEY)))
        finally:
            await gateway.close()
        return metrics.body

    lines = loop.run(run()).decode().splitlines()
    (total,) = [
        float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith('inferplane_upstream_seconds_sum{target="cloud"}')
    ]
    assert 0 < total < 0.25  # the 0.3 s spent in the rate limit is not the upstream's
