"""Hugging Face Text Generation Inference (OpenAI-compatible Messages API on /v1)."""

from __future__ import annotations

from inferplane.serving.base import EngineCommand, ServerFlags, ServingEngine, Toggle
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
    # Environment, not flags: the launcher reads PREFIX_CACHING (launcher/src/main.rs
    # resolve_attention) and the Python server PREFILL_CHUNKING (models/globals.py).
    prefix_caching=Toggle(
        frozenset({True, False}),
        "TGI 3.x enables prefix caching with flashinfer/flashdecoding attention",
    ),
    chunked_prefill=Toggle(
        frozenset({True, False}),
        "TGI 3.x chunks prefill with flashinfer/flashdecoding attention and no speculation",
    ),
    # models/model.py: "Prefill chunking does not support speculation yet", set to False.
    chunks_while_speculating=False,
    flags=ServerFlags(
        model="--model-id",
        host="--hostname",
        quantization="--quantize",
        context_length="--max-total-tokens",
        max_seqs="--max-concurrent-requests",
        # The per-step token budget, like vLLM's --max-num-batched-tokens. Not
        # --max-batch-total-tokens: that is the whole KV-cache budget TGI infers from free
        # memory, and a step-sized value there would starve the cache.
        max_batched_tokens="--max-batch-prefill-tokens",
    ),
)


def command(model: str, serving: Serving) -> EngineCommand:
    args = ENGINE.server_args(model, serving)
    if serving.speculative:
        args += ["--speculate", str(serving.speculative.num_tokens)]
    env: dict[str, str] = {}
    if serving.prefix_caching is not None:
        env["PREFIX_CACHING"] = "1" if serving.prefix_caching else "0"
    if serving.chunked_prefill is not None:
        env["PREFILL_CHUNKING"] = "1" if serving.chunked_prefill else "0"
    return ENGINE.launch(serving, args, env)
