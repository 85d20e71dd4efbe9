"""Accounting, the pipeline's last stage: every request, answered or refused, is counted
in the metrics and written to the access log with its reason; failures are logged in one
line (the reason, never a traceback)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from ..accesslog import AccessLog
from ..backends import Usage
from ..budgets import Budgets
from ..config import RouterConfig
from ..errors import RouterError
from ..metrics import Metrics
from ..opsmetrics import OperatorMetrics
from ..telemetry import telemetry_for
from .call import Call
from .wire import Request

__all__ = ["Accounting"]

logger = logging.getLogger("inferplane.router")


class Accounting:
    """Metrics and the access log of one router; the other stages report here."""

    def __init__(
        self,
        config: RouterConfig,
        access_log: AccessLog | None = None,
        budgets: Budgets | None = None,
    ) -> None:
        self.targets = config.targets
        self.logging = config.access_log
        self.metrics = Metrics()
        self.access_log = access_log or AccessLog()
        self.budgets = budgets
        """Charged with each answer's cost per key and team (``router.budgets``)."""
        self.ops = OperatorMetrics(budgets)
        self.telemetry = telemetry_for(config)  # no-op unless an OTLP endpoint is set

    def start(self) -> None:
        if self.logging:
            self.access_log.start()

    async def stop(self) -> None:
        await self.access_log.stop()
        await asyncio.to_thread(self.telemetry.shutdown)  # flushes to the collector

    def attempt(self, target: str, outcome: str) -> None:
        self.metrics.attempt(target, outcome)

    def pii_detected(self, kind: str) -> None:
        self.metrics.pii_detected(kind)

    def cache_lookup(self, cache: str, hit: bool) -> None:
        self.metrics.cache_lookup(cache, hit)

    def refused(self, request: Request, request_id: str, exc: RouterError) -> None:
        """A refused request, counted and logged with its reason."""
        reason = exc.reason or exc.code or exc.type
        self.metrics.request(exc.route, "-", exc.status, exc.data_class, reason)
        if request.trace is not None:
            request.trace.refused(exc)
        if self.logging:
            self.access_log.record(
                {
                    "ts": time.time(),
                    "request_id": request_id,
                    "path": request.path,
                    "route": exc.route,
                    "status": exc.status,
                    "data_class": exc.data_class,
                    "reason": reason,
                    "error": exc.message,
                }
            )
        logger.log(
            logging.WARNING if exc.status >= 500 else logging.INFO,
            "request %s: %s %s -> %d %s: %s",
            request_id,
            request.method,
            request.path,
            exc.status,
            exc.code or exc.type,
            exc.detail or exc.message,
        )

    def finished(
        self, call: Call, target: str, status: int, usage: Usage, *, cached: bool = False
    ) -> None:
        """An answered call (``status`` 200, or 502 for a stream that broke after its
        first byte): request count, tokens, cost, upstream latency, access log line."""
        c, key, metrics = call.classification, call.key, self.metrics
        route = call.decision.route.name
        reason = "ok" if status < 400 else "stream_interrupted"
        metrics.request(route, target, status, c.data_class, reason)
        self.telemetry.record(call, target, status, usage, cached)
        now = time.perf_counter()  # one clock read for the latency and the log line
        cost = 0.0
        prompt, completion = usage.prompt_tokens, usage.completion_tokens
        if not cached:
            cost = self.cost(target, usage)
            metrics.usage(target, prompt, completion, cost)
            if key is not None and self.budgets is not None:
                self.budgets.charge(key, cost)
            metrics.upstream_latency(target, now - call.upstream_started)
        if self.logging:
            self.access_log.record(
                {
                    "ts": time.time(),
                    "route": route,
                    "target": target,
                    "status": status,
                    "data_class": c.data_class,
                    "pii": c.pii,
                    "tier": c.tier,
                    "request_id": call.request_id,
                    "tenant": call.tenant,
                    "key": key.id if key else None,
                    "stream": call.chat.stream,
                    "cached": cached,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "cost_usd": cost,
                    "ms": round((now - call.started) * 1000, 3),
                }
            )

    def spent(self, target: str, usage: Usage) -> None:
        """Tokens and cost of a call the router made for itself (the semantic cache's
        embeddings): counted like any target's, not as a request."""
        cost = self.cost(target, usage)
        self.metrics.usage(target, usage.prompt_tokens, usage.completion_tokens, cost)

    def cost(self, target: str, usage: Usage) -> float:
        """``usage`` at ``target``'s token prices (0 for a target without prices)."""
        config = self.targets[target]
        return (
            usage.prompt_tokens * (config.input_cost_per_1k or 0.0)
            + usage.completion_tokens * (config.output_cost_per_1k or 0.0)
        ) / 1000

    def render(self, breakers: Mapping[str, str], state_degraded: bool) -> bytes:
        """The ``/metrics`` body, with the gauges read now: ``breakers`` maps each target
        to its circuit state."""
        self.metrics.gauges(breakers, self.access_log.dropped, state_degraded)
        return self.metrics.render() + self.ops.render()
