"""The ``serving`` block shared by self-hosted targets (GPU fleet, Kubernetes, edge).

Which options an engine supports is decided by the engine's own module in
``inferplane.serving``; an option the engine lacks is a spec error naming the engine.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from inferplane.spec.base import ImageRef, ModelId, SpecModel

__all__ = ["Batching", "Engine", "Quantization", "Serving", "Speculative"]

Engine = Literal["vllm", "tgi", "ollama", "llamacpp", "triton"]
Quantization = Literal[
    "none", "fp8", "int8", "awq", "gptq", "q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"
]


class Speculative(SpecModel):
    """Speculative decoding: a small draft model proposes tokens the main model verifies."""

    draft_model: ModelId | None = None
    num_tokens: int = Field(default=4, ge=1, le=16)


class Batching(SpecModel):
    """Continuous-batching limits."""

    max_seqs: int | None = Field(default=None, ge=1, le=4096)
    """Maximum concurrent sequences (vLLM ``--max-num-seqs``, TGI
    ``--max-concurrent-requests``, llama.cpp ``--parallel``, Ollama ``OLLAMA_NUM_PARALLEL``)."""
    max_batched_tokens: int | None = Field(default=None, ge=16, le=1_048_576)
    """Maximum tokens in one scheduler step (vLLM ``--max-num-batched-tokens``, TGI
    ``--max-batch-prefill-tokens``, llama.cpp ``--batch-size``)."""


class Serving(SpecModel):
    """How a self-hosted model server runs its model."""

    engine: Engine
    image: ImageRef | None = None
    """Container image; pin by digest (``repo@sha256:...``). Defaults to the engine's image."""
    quantization: Quantization = "none"
    params_b: float | None = Field(default=None, gt=0, le=2000)
    """Model size in billions of parameters; read from the model name (``-8b-``) if absent."""
    context_length: int | None = Field(default=None, ge=256, le=1_048_576)
    speculative: Speculative | None = None
    prefix_caching: bool | None = None
    """Reuse the KV cache of a shared prompt prefix across requests. None keeps the
    engine's default (on for vLLM v0.11 and TGI 3.x with flash attention); an engine
    whose pinned version has no switch refuses an explicit value (docs/serving.md)."""
    chunked_prefill: bool | None = None
    """Split long prompts into chunks scheduled alongside decodes. None keeps the
    engine's default; an engine without a switch refuses an explicit value."""
    batching: Batching = Batching()
    streaming: bool = True
    port: int | None = Field(default=None, ge=1, le=65535)

    @model_validator(mode="after")
    def _engine_supports(self) -> Serving:
        from inferplane.serving import engine

        missing = engine(self.engine).unsupported(self)
        if missing:
            raise ValueError(f"engine {self.engine!r} does not support {', '.join(missing)}")
        return self
