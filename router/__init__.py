"""The inferplane routing service: an OpenAI-compatible HTTP gateway that sends each
request to the right model by data class, latency budget, task tier and cost.

This package never imports Pulumi. Its only contract with the infrastructure side is
``router.config.RouterConfig`` (JSON).
"""

from __future__ import annotations

__all__: list[str] = []
