"""Hugging Face Text Generation Inference (OpenAI-compatible Messages API on /v1)."""

from __future__ import annotations

from inferplane.serving.base import HF_QUANTIZATION_FLAG, EngineCommand, ServingEngine
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command"]

ENGINE = ServingEngine(
    name="tgi",
    default_image="ghcr.io/huggingface/text-generation-inference:3.3.4",
    default_port=8080,
    health_path="/health",
    quantizations=frozenset({"none", "fp8", "int8", "awq", "gptq"}),
    speculative_draft=False,  # TGI speculates with Medusa heads or n-grams, not a draft model
    speculative_ngram=True,
    batching=frozenset({"max_seqs", "max_batched_tokens"}),
)


def command(model: str, serving: Serving) -> EngineCommand:
    port = serving.port or ENGINE.default_port
    args = ["--model-id", model, "--hostname", "0.0.0.0", "--port", str(port)]
    if serving.quantization != "none":
        args += ["--quantize", HF_QUANTIZATION_FLAG[serving.quantization]]
    if serving.context_length:
        args += ["--max-total-tokens", str(serving.context_length)]
    if serving.batching.max_seqs:
        args += ["--max-concurrent-requests", str(serving.batching.max_seqs)]
    if serving.batching.max_batched_tokens:
        args += ["--max-batch-total-tokens", str(serving.batching.max_batched_tokens)]
    if serving.speculative:
        args += ["--speculate", str(serving.speculative.num_tokens)]
    return EngineCommand(
        serving.image or ENGINE.default_image, tuple(args), {}, port, ENGINE.health_path
    )
