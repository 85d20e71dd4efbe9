"""``python -m router --workers 2``: two processes on one port, sharing rate limits
through a real redis-server; refused with in-process state unless allowed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from inferplane.router.config import RouterConfig
from inferplane.router.errors import ConfigError
from inferplane.router.workers import WORKER_HEADER, check_workers
from tests.router import configs
from tests.router.configs import KEY_CONFIDENTIAL, target
from tests.router.fakes import FakeOpenAI, LoopThread, free_port

ROOT = Path(__file__).resolve().parents[2]


def _config(upstream: str, **extra: object) -> RouterConfig:
    return configs.config(
        {"cloud": target(upstream, ("public", "confidential"), timeouts=configs.PATIENT)},
        [{"name": "default", "targets": ["cloud"]}],
        **extra,
    )


def _start(
    path: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "router", "--config", str(path), "--port", str(port)]
    return subprocess.Popen(
        [*command, *extra],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stderr=subprocess.PIPE,
    )


def _ready(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        try:
            httpx.get(url + "/healthz", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("router did not start")


def test_two_workers_answer_on_one_port_and_share_rate_limits(
    loop: LoopThread, redis_url: str, tmp_path: Path
) -> None:
    up = loop.serve(FakeOpenAI("cloud").app)
    state = {"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}}
    path = tmp_path / "router.json"
    path.write_text(_config(up.url, state=state).to_json())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _start(path, port, "--workers", "2", env={"ROUTER_REDIS_URL": redis_url})
    try:
        _ready(url, process)
        seen = set()
        for _ in range(200):  # a new connection each time: the kernel spreads them
            with httpx.Client() as client:
                seen.add(client.get(url + "/healthz").headers[WORKER_HEADER])
            if len(seen) == 2:
                break
        assert seen == {"0", "1"}
        # Key "hr" may send 3 requests a minute in all, whichever worker takes them.
        statuses, workers = [], set()
        for _ in range(20):
            with httpx.Client() as client:
                answer = client.post(
                    url + "/v1/chat/completions",
                    json=configs.chat(),
                    headers=configs.auth(KEY_CONFIDENTIAL),
                )
            statuses.append(answer.status_code)
            workers.add(answer.headers[WORKER_HEADER])
        assert statuses == [200] * 3 + [429] * 17
        assert workers == {"0", "1"}
    finally:
        process.terminate()
        status = process.wait(30)
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        process.stderr.close()
    assert status == 0, errors


def test_workers_with_memory_state_are_refused_naming_why(tmp_path: Path) -> None:
    path = tmp_path / "router.json"
    path.write_text(_config("http://127.0.0.1:9").to_json())
    process = _start(path, free_port(), "--workers", "2")
    assert process.wait(30) == 2
    assert process.stderr is not None
    error = process.stderr.read().decode()
    process.stderr.close()
    assert "--workers 2 needs shared state" in error
    assert "state.backend is 'memory'" in error
    assert "--allow-memory-state" in error


def test_check_workers() -> None:
    memory = _config("http://127.0.0.1:9")
    check_workers(memory, 1, False)
    check_workers(memory, 4, True)
    with pytest.raises(ConfigError, match="must be 1 or more"):
        check_workers(memory, 0, False)
    with pytest.raises(ConfigError, match="needs shared state"):
        check_workers(memory, 2, False)
