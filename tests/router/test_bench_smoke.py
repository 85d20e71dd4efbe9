"""The benchmark is not part of the suite; this only checks that its modules import and
that its mock upstream answers, so the bench cannot rot silently."""

from __future__ import annotations

import sys

import httpx
import pytest

from bench.router import __main__ as runner
from bench.router import report, workload
from bench.router.passthrough import make_app as passthrough_app
from bench.router.upstream import make_app
from inferplane.router.app import create_app
from inferplane.router.config import RouterConfig
from tests.router.fakes import LoopThread


def test_bench_modules_import_and_the_mock_upstream_answers(loop: LoopThread) -> None:
    upstream = loop.serve(make_app(3))
    reference = loop.serve(passthrough_app(upstream.url))
    RouterConfig.model_validate(workload.router_config(upstream.port))
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    streamed = httpx.post(f"{reference.url}/v1/chat/completions", json=body)
    assert streamed.text.endswith("data: [DONE]\n\n")
    assert streamed.text.count("data: ") == 4


def test_api_bench_requests_are_valid_for_the_router(loop: LoopThread) -> None:
    """bench.router.apis sends what the router accepts on each API (no rotting bodies)."""
    from bench.router import apis

    upstream = loop.serve(make_app(3))
    config = RouterConfig.model_validate(workload.router_config(upstream.port))
    router = loop.serve(create_app(config))
    for api in apis.APIS:
        for stream in (False, True):
            path, data, headers = apis.request(api, stream)
            response = httpx.post(f"{router.url}{path}", content=data, headers=headers)
            assert response.status_code == 200, (api, stream, response.text)


def test_wrk_bodies_are_valid_for_the_router(loop: LoopThread) -> None:
    """Each API's wrk body (bench.router.workload.BODIES, the counter filled in) is a 200."""
    upstream = loop.serve(make_app(3))
    config = RouterConfig.model_validate(workload.router_config(upstream.port))
    router = loop.serve(create_app(config))
    headers = {"authorization": f"Bearer {workload.KEY}", "content-type": "application/json"}
    for path, template in workload.BODIES.values():
        for extra in ("", ',"stream":true'):
            body = (template % (workload.PROMPT.format(n="%d"), extra)) % 7
            response = httpx.post(f"{router.url}{path}", content=body, headers=headers)
            assert response.status_code == 200, (path, extra, response.text)


def test_the_targets_table_compares_router_and_bare_side_by_side() -> None:
    direct = {"p50_ms_c1": 0.1, "ttft_ms": 0.4}
    bare = {"cpu_ms_json": 0.2, "cpu_ms_stream": 0.3, "p50_ms_c1": 0.3, "ttft_ms": 0.9}
    ours = {
        "cpu_ms_json": 0.4,
        "cpu_ms_stream": 0.36,
        "p50_ms_c1": 0.35,
        "ttft_ms": 1.0,
        "api_cpu_ms": {
            "chat json": 0.4,
            "chat stream": 0.5,
            "messages json": 0.44,
            "messages stream": 0.7,
            "responses json": 0.48,
            "responses stream": 0.55,
        },
    }
    rows = {
        measure: (round(value, 3), met)
        for measure, value, _, met in report.target_rows(direct, ours, bare)
    }
    assert rows == {
        "CPU/req json router / bare": (2.0, False),
        "CPU/req stream router / bare": (1.2, True),
        "added p50 c1, router - bare (ms)": (0.05, True),
        "TTFT, router - bare (ms)": (0.1, True),
        "CPU/req messages json / chat json": (1.1, True),
        "CPU/req messages stream / chat stream": (1.4, False),
        "CPU/req responses json / chat json": (1.2, True),
        "CPU/req responses stream / chat stream": (1.1, True),
    }


def test_the_in_process_core_bench_runs_every_case() -> None:
    import asyncio

    from bench.router import core

    medians = asyncio.run(core.measure(n=5, chunks=3, rounds=1))
    assert set(medians) == {f"{api}-{mode}" for api in core.CASES for mode in ("json", "stream")}


def test_the_runner_cli_answers_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m bench.router --help``: the runner parses its options and starts nothing."""
    monkeypatch.setattr(sys, "argv", ["python -m bench.router", "--help"])
    with pytest.raises(SystemExit) as exited:
        runner.main()
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert {"--seconds", "--rounds", "--chunks", "--no-litellm", "--no-apis"} <= set(out.split())
