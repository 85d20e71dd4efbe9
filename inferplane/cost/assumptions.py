"""The few numbers an estimate assumes because neither the spec nor a price list says them.
Each estimate prints the ones it used."""

from __future__ import annotations

__all__ = [
    "CLOUD_RUN_GPU_TOKENS_PER_S",
    "HOURS_PER_MONTH",
    "LAMBDA_DURATION_S",
    "ROUTER_DURATION_S",
    "SERVERLESS_CPU_TOKENS_PER_S",
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
CLOUD_RUN_GPU_TOKENS_PER_S = 30.0
"""Generation speed per request of a 7-8B model on one L4 GPU."""
