"""llama.cpp ``llama-server``: GGUF on CPU, CUDA or Metal; the edge default."""

from __future__ import annotations

from inferplane.serving.base import EngineCommand, ServerFlags, ServingEngine, Toggle
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command"]

ENGINE = ServingEngine(
    name="llamacpp",
    default_image="ghcr.io/ggml-org/llama.cpp:server-b6800",
    default_port=8080,
    health_path="/health",
    quantizations=frozenset({"q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"}),
    speculative_draft=True,
    batching=frozenset({"max_seqs", "max_batched_tokens"}),
    # No server switch verified for build b6800 (docs/serving.md).
    prefix_caching=Toggle(
        default="llama-server reuses each slot's prompt cache (request field cache_prompt, "
        "default true); no server switch is pinned here"
    ),
    chunked_prefill=Toggle(default="llama-server always evaluates prompts in --batch-size chunks"),
    flags=ServerFlags(
        model="--model",
        host="--host",
        context_length="--ctx-size",
        max_seqs="--parallel",
        max_batched_tokens="--batch-size",
    ),
)


def command(model: str, serving: Serving) -> EngineCommand:
    gguf = f"/models/{model}.{serving.quantization}.gguf"
    args = [*ENGINE.server_args(gguf, serving), "--n-gpu-layers", "999"]
    if serving.speculative and serving.speculative.draft_model:
        draft = serving.speculative.draft_model
        args += [
            "--model-draft",
            f"/models/{draft}.{serving.quantization}.gguf",
            "--draft-max",
            str(serving.speculative.num_tokens),
        ]
    return ENGINE.launch(serving, args)
