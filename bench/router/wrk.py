"""The wrk driver: one load run against a URL, its request count and p50."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from pathlib import Path

_RUNS = itertools.count(1)


def wrk(url: str, script: Path, connections: int, seconds: int) -> tuple[int, float]:
    """Requests done and their p50 in ms. Every run numbers its prompts from its own
    offset (``BENCH_OFFSET``), so no run repeats another's prompt: the router's exact
    cache never answers, in any run (a repeated prompt would be a cache hit)."""
    offset = str(next(_RUNS) * 1_000_000)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_OFFSET": offset},
    ).stdout
    done = re.search(r"(\d+) requests in", out)
    assert done is not None, out
    requests = int(done.group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{out}")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert p50 is not None
    value = float(p50.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return requests, value
