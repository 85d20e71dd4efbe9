"""The benchmark is not part of the suite; this only checks that its modules import and
that its mock upstream answers, so the bench cannot rot silently."""

from __future__ import annotations

import httpx

from bench.router import __main__ as bench
from bench.router.passthrough import make_app as passthrough_app
from bench.router.upstream import make_app
from inferplane.router.app import create_app
from inferplane.router.config import RouterConfig
from tests.router.fakes import LoopThread


def test_bench_modules_import_and_the_mock_upstream_answers(loop: LoopThread) -> None:
    upstream = loop.serve(make_app(3))
    reference = loop.serve(passthrough_app(upstream.url))
    RouterConfig.model_validate(bench.router_config(upstream.port))
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    streamed = httpx.post(f"{reference.url}/v1/chat/completions", json=body)
    assert streamed.text.endswith("data: [DONE]\n\n")
    assert streamed.text.count("data: ") == 4


def test_api_bench_requests_are_valid_for_the_router(loop: LoopThread) -> None:
    """bench.router.apis sends what the router accepts on each API (no rotting bodies)."""
    from bench.router import apis

    upstream = loop.serve(make_app(3))
    config = RouterConfig.model_validate(bench.router_config(upstream.port))
    router = loop.serve(create_app(config))
    for api in apis.APIS:
        for stream in (False, True):
            path, data, headers = apis.request(api, stream)
            response = httpx.post(f"{router.url}{path}", content=data, headers=headers)
            assert response.status_code == 200, (api, stream, response.text)
