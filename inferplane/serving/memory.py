"""Model memory from size and quantization: sizes GPU instances, volumes and caches."""

from __future__ import annotations

import re

__all__ = ["BYTES_PER_PARAM", "params_from_name", "weights_gib"]

# Bytes per parameter including format overhead (GGUF k-quants carry scales).
BYTES_PER_PARAM: dict[str, float] = {
    "none": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "awq": 0.5,
    "gptq": 0.5,
    "q4_0": 0.5625,
    "q4_k_m": 0.6,
    "q5_k_m": 0.7,
    "q6_k": 0.82,
    "q8_0": 1.0625,
}

_SIZE = re.compile(r"(?:^|[-_.:/])(\d+(?:\.\d+)?)b(?:$|[-_.:])", re.IGNORECASE)


def params_from_name(model: str) -> float | None:
    """Billions of parameters read from a model name such as ``llama-3.1-8b-instruct``."""
    match = _SIZE.search(model)
    return float(match.group(1)) if match else None


def weights_gib(params_b: float, quantization: str) -> float:
    """GiB of weights for ``params_b`` billion parameters at ``quantization``."""
    return params_b * 1e9 * BYTES_PER_PARAM[quantization] / 2**30
