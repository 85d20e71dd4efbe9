"""Prometheus metrics in the text exposition format, kept in plain dicts.

Recording is a few dict updates per request (no per-chunk work, no locks: the router is
one event loop), keyed by the label values alone: the label names are joined to them only
by ``render``, which produces the ``/metrics`` body that only operators read (it names
every target and its cost, ``admin`` in the RouterConfig).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping

__all__ = ["Labels", "Metrics", "counter_lines"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}

Labels = tuple[tuple[str, str], ...]
Values = tuple[str, ...]
"""A series' label values, in the order of its family's label names (``_NAMES``)."""

_NAMES: dict[str, tuple[str, ...]] = {
    "inferplane_requests_total": ("route", "target", "status", "data_class", "reason"),
    "inferplane_upstream_attempts_total": ("target", "outcome"),
    "inferplane_tokens_total": ("target", "kind"),
    "inferplane_cost_usd_total": ("target",),
    "inferplane_cache_total": ("cache", "result"),
    "inferplane_pii_detected_total": ("kind",),
}


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
        self.requests: defaultdict[Values, int] = defaultdict(int)
        self.attempts: defaultdict[Values, int] = defaultdict(int)
        self.tokens: defaultdict[Values, int] = defaultdict(int)
        self.cost: defaultdict[str, float] = defaultdict(float)
        self.cache: defaultdict[Values, int] = defaultdict(int)
        self.pii: defaultdict[str, int] = defaultdict(int)
        self.latency: defaultdict[str, _Histogram] = defaultdict(_Histogram)
        self.breaker_state: dict[str, int] = {}
        self.log_dropped = 0
        self.state_degraded = 0

    def request(
        self, route: str, target: str, status: int, data_class: str, reason: str = "ok"
    ) -> None:
        """``reason``: ``ok`` for an answer, else why it was refused or failed (the error
        code: ``invalid_api_key``, ``pii``, ``no_resident_target``, ``rate_limit_exceeded``)."""
        self.requests[(route, target, str(status), data_class, reason)] += 1

    def attempt(self, target: str, outcome: str) -> None:
        self.attempts[(target, outcome)] += 1

    def usage(self, target: str, prompt: int, completion: int, cost_usd: float) -> None:
        tokens = self.tokens
        tokens[(target, "prompt")] += prompt
        tokens[(target, "completion")] += completion
        self.cost[target] += cost_usd

    def upstream_latency(self, target: str, seconds: float) -> None:
        self.latency[target].observe(seconds)

    def pii_detected(self, kind: str) -> None:
        """A request raised by PII; ``kind`` is the first kind found (``email``, ``iban``)."""
        self.pii[kind] += 1

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """One lookup in ``cache`` (``exact`` or ``semantic``)."""
        self.cache[(cache, "hit" if hit else "miss")] += 1

    def gauges(self, breakers: Mapping[str, str], log_dropped: int, state_degraded: bool) -> None:
        """The values read at scrape time: each target's circuit state (``closed``,
        ``half_open``, ``open``), access-log records dropped, whether the store is down."""
        self.breaker_state = {name: _BREAKER_STATES[state] for name, state in breakers.items()}
        self.log_dropped = log_dropped
        self.state_degraded = int(state_degraded)

    def render(self) -> bytes:
        lines: list[str] = []
        _family(
            lines, "inferplane_requests_total", "API requests by outcome and reason.", self.requests
        )
        _family(lines, "inferplane_upstream_attempts_total", "Calls to targets.", self.attempts)
        _family(lines, "inferplane_tokens_total", "Tokens reported by targets.", self.tokens)
        _family(lines, "inferplane_cost_usd_total", "Estimated cost in USD.", _single(self.cost))
        _family(lines, "inferplane_cache_total", "Cache lookups by result.", self.cache)
        _family(
            lines, "inferplane_pii_detected_total", "Requests raised by PII.", _single(self.pii)
        )
        lines.append("# HELP inferplane_upstream_seconds Time to a target's complete answer.")
        lines.append("# TYPE inferplane_upstream_seconds histogram")
        for target, hist in self.latency.items():
            labels: Labels = (("target", target),)
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


def _family(
    lines: list[str], name: str, help_text: str, values: Mapping[Values, int | float]
) -> None:
    """One counter family recorded by label values: the names are joined here."""
    names = _NAMES[name]
    _counter(
        lines, name, help_text, {tuple(zip(names, v, strict=True)): n for v, n in values.items()}
    )


def _single(values: Mapping[str, int] | Mapping[str, float]) -> dict[Values, int | float]:
    """A family with one label, recorded by its value alone."""
    return {(value,): n for value, n in values.items()}


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
