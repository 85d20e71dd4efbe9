"""vLLM: OpenAI-compatible server with continuous batching and speculative decoding."""

from __future__ import annotations

from inferplane.serving.base import EngineCommand, ServerFlags, ServingEngine, Toggle
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command"]

ENGINE = ServingEngine(
    name="vllm",
    default_image="vllm/vllm-openai:v0.11.0",
    default_port=8000,
    health_path="/health",
    quantizations=frozenset({"none", "fp8", "int8", "awq", "gptq"}),
    # Draft-model speculation raises NotImplementedError in vLLM's V1 engine from v0.10
    # through v0.13 (vllm-project/vllm#21797, #31883); v0.11 speculates with n-grams
    # (or EAGLE/Medusa heads, not modelled here).
    speculative_draft=False,
    speculative_ngram=True,
    batching=frozenset({"max_seqs", "max_batched_tokens"}),
    # --enable-prefix-caching / --no-enable-prefix-caching (CacheConfig, a bool field, so
    # argparse.BooleanOptionalAction); on by default for generative models in the V1 engine.
    prefix_caching=Toggle(
        frozenset({True, False}), "vLLM v0.11 enables prefix caching for generative models"
    ),
    # EngineArgs._set_default_args sets enable_chunked_prefill = True for every
    # non-pooling model in v0.11, overriding --no-enable-chunked-prefill: false cannot hold.
    chunked_prefill=Toggle(
        frozenset({True}),
        "vLLM v0.11's V1 engine always chunks prefill for generative models",
    ),
    flags=ServerFlags(
        model="--model",
        host="--host",
        quantization="--quantization",
        context_length="--max-model-len",
        max_seqs="--max-num-seqs",
        max_batched_tokens="--max-num-batched-tokens",
    ),
)


def command(model: str, serving: Serving) -> EngineCommand:
    args = ENGINE.server_args(model, serving)
    if serving.prefix_caching is not None:
        args.append(
            "--enable-prefix-caching" if serving.prefix_caching else "--no-enable-prefix-caching"
        )
    if serving.chunked_prefill:
        args.append("--enable-chunked-prefill")
    if serving.speculative:  # n-gram only (``speculative_draft`` above)
        config = {
            "method": "ngram",
            "num_speculative_tokens": serving.speculative.num_tokens,
            "prompt_lookup_max": 4,
        }
        args += ["--speculative-config", _json(config)]
    return ENGINE.launch(serving, args)


def _json(value: dict[str, object]) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))
