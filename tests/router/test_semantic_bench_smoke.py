"""bench.router.semantic is not part of the suite; this runs it small (both paths, a real
redis-server) so it cannot rot silently. No timing is asserted."""

from __future__ import annotations

import pytest

from bench.router import semantic
from tests.support.tools import require_tool


def test_the_semantic_bench_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("redis-server")
    semantic.main(["--entries", "3000", "--dims", "32", "--queries", "40"])
    out = capsys.readouterr().out
    found = {line.split()[0]: line.split()[-1] for line in out.splitlines()[2:6]}
    # every near query found its entry, on every path
    assert found == {"index": "20", "brute": "20", "spin": "0", "shared": "20"}
    assert "target: p99 < 2 ms" in out
