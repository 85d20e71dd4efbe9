"""Operator metrics beside ``router.metrics``: spend per key and team, and streams cut
off because the client stopped reading (``limits.stream_write_timeout_s``)."""

from __future__ import annotations

from .budgets import Budgets
from .metrics import _labels  # one label syntax for /metrics

__all__ = ["OperatorMetrics"]


class OperatorMetrics:
    """Counters of this process; Prometheus sums them over replicas."""

    def __init__(self, budgets: Budgets | None) -> None:
        self._budgets = budgets
        self.stream_write_timeouts = 0

    def render(self) -> bytes:
        lines = [
            "# HELP inferplane_spend_usd_total Spend charged to API keys and teams (USD).",
            "# TYPE inferplane_spend_usd_total counter",
        ]
        spent = self._budgets.spent if self._budgets is not None else {}
        for (key, team), usd in sorted(spent.items()):
            labels = _labels((("key", key), ("team", team)))
            lines.append(f"inferplane_spend_usd_total{labels} {usd}")
        lines += [
            "# HELP inferplane_stream_write_timeouts_total Streams cut off because the client "
            "did not read a block within limits.stream_write_timeout_s.",
            "# TYPE inferplane_stream_write_timeouts_total counter",
            f"inferplane_stream_write_timeouts_total {self.stream_write_timeouts}",
        ]
        return ("\n".join(lines) + "\n").encode()
