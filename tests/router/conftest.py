from __future__ import annotations

from collections.abc import Iterator

import pytest

from inferplane.smoke.redis import LocalRedis
from tests.router.fakes import LoopThread
from tests.support.tools import require_tool


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Static AWS credentials and region, so botocore signs without looking further."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def redis_server() -> Iterator[LocalRedis]:
    """A real redis-server a test may stop and start again (an outage)."""
    require_tool("redis-server")
    with LocalRedis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: LocalRedis) -> str:
    return redis_server.url
