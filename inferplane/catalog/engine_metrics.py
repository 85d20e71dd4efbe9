"""What each engine tells an autoscaler: the Prometheus metric behind each LLM signal,
and a default target derived from the engine's batch size.

Sources (checked 2026-11-30): vLLM v0.11 ``/metrics`` ("Production Metrics" in the vLLM
docs: ``vllm:num_requests_waiting``, ``vllm:gpu_cache_usage_perc``, a 0-1 fraction);
TGI 3.x ``/metrics`` (``tgi_queue_size``: requests waiting for a batch slot); llama.cpp
``llama-server --metrics`` (``llamacpp:requests_deferred``: requests waiting for a free
slot). Ollama and Triton are not covered (no queue gauge in the engine's own metrics).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["DEFAULT_BATCH", "ENGINE_METRICS", "ENGINE_SIGNALS", "Signal", "default_target"]

Signal = Literal["queue", "kv_cache"]

ENGINE_METRICS: Mapping[str, Mapping[Signal, str]] = {
    "vllm": {"queue": "vllm:num_requests_waiting", "kv_cache": "vllm:gpu_cache_usage_perc"},
    "tgi": {"queue": "tgi_queue_size"},
    "llamacpp": {"queue": "llamacpp:requests_deferred"},
}
"""Per engine and signal, the Prometheus metric (one series per server pod)."""

ENGINE_SIGNALS: Mapping[str, tuple[Signal, ...]] = {
    name: tuple(metrics) for name, metrics in ENGINE_METRICS.items()
}

DEFAULT_BATCH: Mapping[str, int] = {"vllm": 256, "tgi": 128, "llamacpp": 4}
"""Concurrent sequences when ``batching.max_seqs`` is unset: vLLM ``--max-num-seqs``
256, TGI ``--max-concurrent-requests`` 128, llama.cpp ``--parallel`` (auto: 4)."""


def default_target(engine: str, signal: Signal, max_seqs: int | None) -> float:
    """Target per replica: waiting requests = a quarter of the batch (beyond that a new
    request waits longer than a replica's share of a batch turn), or 80 % KV-cache fill
    (vLLM preempts sequences as the cache fills)."""
    if signal == "kv_cache":
        return 0.8
    return float(max(1, (max_seqs or DEFAULT_BATCH.get(engine, 16)) // 4))
