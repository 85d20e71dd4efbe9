"""The few numbers an estimate assumes because neither the spec nor a price list says them.
Each estimate prints the ones it used."""

from __future__ import annotations

__all__ = [
    "CLOUD_RUN_GPU_TOKENS_PER_S",
    "HOURS_PER_MONTH",
    "LAMBDA_DURATION_S",
    "ROUTER_DURATION_S",
    "SERVERLESS_CPU_TOKENS_PER_S",
    "SPOT_FALLBACK_SHARE",
    "STATE_ECPUS_PER_REQUEST",
]

HOURS_PER_MONTH = 720
"""30 days, the month ``Forecast.monthly_requests`` uses."""
LAMBDA_DURATION_S = 2.0
"""Billed duration of a Lambda target's invocation (it waits for Bedrock)."""
ROUTER_DURATION_S = 1.0
"""Billed duration of one request through a Lambda-hosted router (it waits upstream);
the seed puts cloud model latency at 200-2000 ms."""
SERVERLESS_CPU_TOKENS_PER_S = 10.0
"""Generation speed of a 7B model on a CPU-only SageMaker serverless endpoint."""
SPOT_FALLBACK_SHARE = 0.10
"""Share of a GPU fleet's spot instance-hours that its on-demand fallback serves instead
(spot reclaimed or unavailable). An assumption, not a measurement (2026-11-30): AWS's
Spot Instance Advisor puts GPU families' monthly interruption frequency anywhere from
under 5% to over 20% by type and region, and an interrupted or missing spot instance is
replaced on demand for at least the alarms' 5 minutes plus the time spot stays away."""
CLOUD_RUN_GPU_TOKENS_PER_S = 30.0
"""Generation speed per request of a 7-8B model on one L4 GPU."""
STATE_ECPUS_PER_REQUEST = 8.0
"""ElastiCache ECPUs the router spends on its managed Valkey per request (one ECPU per
command moving up to 1 KB): its rate-limit counter and expiry, the key and budget reads,
the spend increment, and the exact cache's read and (on a miss) write. Answers above 1 KB
cost proportionally more; an assumption from the router's per-request commands, not a
measurement."""
