from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.router.fakes import LoopThread


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()
