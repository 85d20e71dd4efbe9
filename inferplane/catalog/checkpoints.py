"""Facts about well-known model checkpoints: format, quantization, gating, size.

What a checkpoint *is* decides which engine flags are valid (vLLM exits when told
``--quantization awq`` for a bf16 repo) and whether a download needs a token. Each row
names its source (the Hugging Face model card / config.json) and the date it was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CHECKPOINTS", "CheckpointFacts", "known_checkpoint"]

CheckpointFormat = Literal["safetensors", "gguf"]


@dataclass(frozen=True)
class CheckpointFacts:
    """One repository's facts."""

    repo: str
    format: CheckpointFormat
    quantization: str
    """``none`` (weights in ``dtype``) or the quantization the weights are stored in."""
    gated: bool
    """The Hub requires an accepted licence and a token to download."""
    params_b: float
    kv_kib_per_token: float
    """KV-cache bytes per token at 16-bit (2 x layers x kv_heads x head_dim x 2), in KiB."""
    source: str
    checked: str
    dtype: str = "bf16"


def _hf(repo: str) -> str:
    return f"https://huggingface.co/{repo} (model card, config.json)"


_ROWS = (
    # 32 layers x 8 KV heads x 128 dims: 128 KiB/token.
    CheckpointFacts("meta-llama/Llama-3.1-8B-Instruct", "safetensors", "none", True, 8.03,
                    128, _hf("meta-llama/Llama-3.1-8B-Instruct"), "2026-11-30"),
    CheckpointFacts("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "safetensors",
                    "awq", False, 8.03, 128,
                    _hf("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"), "2026-11-30"),
    CheckpointFacts("mistralai/Mistral-7B-Instruct-v0.3", "safetensors", "none", True, 7.25,
                    128, _hf("mistralai/Mistral-7B-Instruct-v0.3"), "2026-11-30"),
    # 28 layers x 4 KV heads x 128 dims: 56 KiB/token.
    CheckpointFacts("Qwen/Qwen2.5-7B-Instruct", "safetensors", "none", False, 7.62, 56,
                    _hf("Qwen/Qwen2.5-7B-Instruct"), "2026-11-30"),
    CheckpointFacts("Qwen/Qwen2.5-7B-Instruct-AWQ", "safetensors", "awq", False, 7.62, 56,
                    _hf("Qwen/Qwen2.5-7B-Instruct-AWQ"), "2026-11-30"),
    # 28 layers x 2 KV heads x 128 dims: 28 KiB/token.
    CheckpointFacts("Qwen/Qwen2.5-1.5B-Instruct", "safetensors", "none", False, 1.54, 28,
                    _hf("Qwen/Qwen2.5-1.5B-Instruct"), "2026-11-30"),
    # 32 layers x 32 KV heads (no GQA) x 96 dims: 384 KiB/token.
    CheckpointFacts("microsoft/Phi-3.5-mini-instruct", "safetensors", "none", False, 3.82,
                    384, _hf("microsoft/Phi-3.5-mini-instruct"), "2026-11-30"),
    CheckpointFacts("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "gguf", "q4_k_m", False,
                    8.03, 128, _hf("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"),
                    "2026-11-30"),
    CheckpointFacts("google/gemma-3-12b-it", "safetensors", "none", True, 12.2, 384,
                    _hf("google/gemma-3-12b-it"), "2026-11-30"),
)  # fmt: skip

CHECKPOINTS: dict[str, CheckpointFacts] = {row.repo.lower(): row for row in _ROWS}
"""Rows by lower-cased repository ID (the Hub treats repo IDs case-insensitively)."""


def known_checkpoint(model: str) -> CheckpointFacts | None:
    """The table's row for ``model`` (a Hugging Face repo ID), or None."""
    return CHECKPOINTS.get(model.lower())
