"""Prometheus metrics in the text exposition format, kept in plain dicts.

Recording is a few dict updates per request (no per-chunk work, no locks: the router is
one event loop). ``render`` produces the ``/metrics`` body, which only operators read:
it names every target and its cost (``admin`` in the RouterConfig).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping

__all__ = ["Labels", "Metrics", "counter_lines"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}

Labels = tuple[tuple[str, str], ...]


class _Histogram:
    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(_BUCKETS, value)] += 1
        self.sum += value


class Metrics:
    """The router's counters, histograms and gauges; recorded through the methods below,
    read only by ``render``."""

    def __init__(self) -> None:
        self.requests: defaultdict[Labels, int] = defaultdict(int)
        self.attempts: defaultdict[Labels, int] = defaultdict(int)
        self.tokens: defaultdict[Labels, int] = defaultdict(int)
        self.cost: defaultdict[Labels, float] = defaultdict(float)
        self.cache: defaultdict[Labels, int] = defaultdict(int)
        self.pii: defaultdict[Labels, int] = defaultdict(int)
        self.latency: defaultdict[Labels, _Histogram] = defaultdict(_Histogram)
        self.breaker_state: dict[str, int] = {}
        self.log_dropped = 0
        self.state_degraded = 0

    def request(
        self, route: str, target: str, status: int, data_class: str, reason: str = "ok"
    ) -> None:
        """``reason``: ``ok`` for an answer, else why it was refused or failed (the error
        code: ``invalid_api_key``, ``pii``, ``no_resident_target``, ``rate_limit_exceeded``)."""
        self.requests[
            (
                ("route", route),
                ("target", target),
                ("status", str(status)),
                ("data_class", data_class),
                ("reason", reason),
            )
        ] += 1

    def attempt(self, target: str, outcome: str) -> None:
        self.attempts[(("target", target), ("outcome", outcome))] += 1

    def usage(self, target: str, prompt: int, completion: int, cost_usd: float) -> None:
        self.tokens[(("target", target), ("kind", "prompt"))] += prompt
        self.tokens[(("target", target), ("kind", "completion"))] += completion
        self.cost[(("target", target),)] += cost_usd

    def upstream_latency(self, target: str, seconds: float) -> None:
        self.latency[(("target", target),)].observe(seconds)

    def pii_detected(self, kind: str) -> None:
        """A request raised by PII; ``kind`` is the first kind found (``email``, ``iban``)."""
        self.pii[(("kind", kind),)] += 1

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """One lookup in ``cache`` (``exact`` or ``semantic``)."""
        self.cache[(("cache", cache), ("result", "hit" if hit else "miss"))] += 1

    def gauges(self, breakers: Mapping[str, str], log_dropped: int, state_degraded: bool) -> None:
        """The values read at scrape time: each target's circuit state (``closed``,
        ``half_open``, ``open``), access-log records dropped, whether the store is down."""
        self.breaker_state = {name: _BREAKER_STATES[state] for name, state in breakers.items()}
        self.log_dropped = log_dropped
        self.state_degraded = int(state_degraded)

    def render(self) -> bytes:
        lines: list[str] = []
        _counter(
            lines, "inferplane_requests_total", "API requests by outcome and reason.", self.requests
        )
        _counter(lines, "inferplane_upstream_attempts_total", "Calls to targets.", self.attempts)
        _counter(lines, "inferplane_tokens_total", "Tokens reported by targets.", self.tokens)
        _counter(lines, "inferplane_cost_usd_total", "Estimated cost in USD.", self.cost)
        _counter(lines, "inferplane_cache_total", "Cache lookups by result.", self.cache)
        _counter(lines, "inferplane_pii_detected_total", "Requests raised by PII.", self.pii)
        lines.append("# HELP inferplane_upstream_seconds Time to a target's complete answer.")
        lines.append("# TYPE inferplane_upstream_seconds histogram")
        for labels, hist in self.latency.items():
            cumulative = 0
            for bound, count in zip((*_BUCKETS, float("inf")), hist.counts, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(
                    f"inferplane_upstream_seconds_bucket{_labels((*labels, ('le', le)))} "
                    f"{cumulative}"
                )
            lines.append(f"inferplane_upstream_seconds_sum{_labels(labels)} {hist.sum}")
            lines.append(f"inferplane_upstream_seconds_count{_labels(labels)} {cumulative}")
        lines.append(
            "# HELP inferplane_breaker_state Circuit state: 0 closed, 1 half-open, 2 open."
        )
        lines.append("# TYPE inferplane_breaker_state gauge")
        for target, state in self.breaker_state.items():
            lines.append(f'inferplane_breaker_state{{target="{_escape(target)}"}} {state}')
        lines.append("# HELP inferplane_log_dropped_total Log records dropped (queue full).")
        lines.append("# TYPE inferplane_log_dropped_total counter")
        lines.append(f"inferplane_log_dropped_total {self.log_dropped}")
        lines.append(
            "# HELP inferplane_state_degraded 1 while the shared state store (Redis) is "
            "unreachable: caches skipped, rate limits counted per replica."
        )
        lines.append("# TYPE inferplane_state_degraded gauge")
        lines.append(f"inferplane_state_degraded {self.state_degraded}")
        return ("\n".join(lines) + "\n").encode()


def _counter(
    lines: list[str], name: str, help_text: str, values: dict[Labels, int] | dict[Labels, float]
) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} counter")
    for labels, value in values.items():
        lines.append(f"{name}{_labels(labels)} {value}")


counter_lines = _counter
"""Append one counter family (HELP, TYPE, a line per label set) to ``lines``."""


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
