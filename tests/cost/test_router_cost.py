"""The router's cost metric: RouterConfig carries the price table's per-1k token prices
for targets with a known price, and ``/metrics`` counts a request to such a target at
that price (it was always 0: the prices were never rendered)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from inferplane.cost import default_prices
from inferplane.plan import run_program
from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway, Request
from inferplane.routerconfig import endpoints_from_graph, stack_router_config
from inferplane.smoke import stage
from inferplane.smoke.wire import COMPLETION_TOKENS, PROMPT_TOKENS
from inferplane.spec import load_stack, provider_regions
from tests.conftest import stack_spec_data

ROOT = Path(__file__).resolve().parents[2]
# The model the shipped stack runs on its on-demand Bedrock target (read, not restated).
SONNET = stack_spec_data("prod-us-east-1")["targets"]["claude-sonnet"]["model"]


@pytest.fixture(scope="module")
def config() -> RouterConfig:
    stack_file = load_stack(ROOT, "prod-us-east-1")
    graph = run_program(ROOT, stack_file)
    endpoints = endpoints_from_graph(graph, stack_file.spec)
    regions = provider_regions(stack_file.config)
    return stack_router_config(stack_file.spec, "prod-us-east-1", endpoints, regions)


def test_prices_are_rendered_where_known(config: RouterConfig) -> None:
    prices = default_prices()
    price_in = prices.lookup("bedrock", SONNET, "us-east-1", "1k_input_tokens")
    price_out = prices.lookup("bedrock", SONNET, "us-east-1", "1k_output_tokens")
    assert price_in is not None
    assert price_out is not None
    sonnet = config.targets["claude-sonnet"]
    assert (sonnet.input_cost_per_1k, sonnet.output_cost_per_1k) == (price_in.usd, price_out.usd)
    priced = {n for n, t in config.targets.items() if t.input_cost_per_1k is not None}
    # Provisioned throughput is billed by the hour; a GPU fleet and SageMaker by the
    # instance: a request adds no token cost there.
    assert priced == {"claude-sonnet", "summarize-fn"}


def test_metrics_cost_is_nonzero_after_a_request_to_a_priced_target(
    config: RouterConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stage(config) as staged:
        for name, value in staged.env.items():
            monkeypatch.setenv(name, value)

        async def scenario() -> tuple[int, str]:
            gateway = Gateway(staged.config)
            await gateway.start()
            body = {"model": "claude-sonnet", "messages": [{"role": "user", "content": "hi"}]}
            client = {"authorization": f"Bearer {staged.keys['app-backend']}"}
            try:
                answer = await gateway.handle(
                    Request("POST", "/v1/chat/completions", client, json.dumps(body).encode())
                )
                # As on the operator listener (admin.port): /metrics is operators' only.
                metrics = await gateway.handle(Request("GET", "/metrics", {}, b"", operator=True))
            finally:
                await gateway.close()
            return answer.status, metrics.body.decode()

        # Not asyncio.run: it leaves the main thread without an event loop, which the
        # Pulumi mock runtime of later plans in this session needs.
        loop = asyncio.new_event_loop()
        try:
            status, metrics = loop.run_until_complete(scenario())
        finally:
            loop.close()
    assert status == 200
    sonnet = config.targets["claude-sonnet"]
    assert sonnet.input_cost_per_1k is not None
    assert sonnet.output_cost_per_1k is not None
    expected = (
        PROMPT_TOKENS * sonnet.input_cost_per_1k + COMPLETION_TOKENS * sonnet.output_cost_per_1k
    ) / 1000
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith('inferplane_cost_usd_total{target="claude-sonnet"}')
    )
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(expected)
    assert expected > 0
