"""The ``checkpoint`` block: facts about the weights a target loads. Absent keys are filled
from the dated table in ``inferplane.catalog.checkpoints`` for well-known repos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inferplane.catalog.checkpoints import known_checkpoint
from inferplane.spec.base import SpecModel

__all__ = ["Checkpoint", "CheckpointView", "checkpoint_of"]

Format = Literal["safetensors", "gguf"]
StoredQuantization = Literal[
    "none", "fp8", "int8", "awq", "gptq", "q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"
]


class Checkpoint(SpecModel):
    """What the repository holds; each key overrides the table's row."""

    format: Format | None = None
    quantization: StoredQuantization | None = None
    """How the stored weights are quantized (``none``: 16-bit)."""
    gated: bool | None = None
    """The Hub needs an accepted licence and a token to download it."""
    revision: str | None = None
    """Commit or tag to pin (recorded; the engine downloads this revision)."""


@dataclass(frozen=True)
class CheckpointView:
    """The merged facts, with where they came from (``spec``, ``table`` or ``unknown``)."""

    format: str | None
    quantization: str | None
    gated: bool | None
    params_b: float | None
    kv_kib_per_token: float | None
    source: str


def checkpoint_of(model: str, declared: Checkpoint | None) -> CheckpointView:
    """``declared`` keys over the table's row for ``model``."""
    row = known_checkpoint(model)
    spec = declared or Checkpoint()
    source = "table" if row is not None else ("spec" if declared is not None else "unknown")
    return CheckpointView(
        format=spec.format or (row.format if row else None),
        quantization=spec.quantization or (row.quantization if row else None),
        gated=spec.gated if spec.gated is not None else (row.gated if row else None),
        params_b=row.params_b if row else None,
        kv_kib_per_token=row.kv_kib_per_token if row else None,
        source=source,
    )
