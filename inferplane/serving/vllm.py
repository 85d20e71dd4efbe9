"""vLLM: OpenAI-compatible server with continuous batching and speculative decoding."""

from __future__ import annotations

from inferplane.serving.base import HF_QUANTIZATION_FLAG, EngineCommand, ServingEngine
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command"]

ENGINE = ServingEngine(
    name="vllm",
    default_image="vllm/vllm-openai:v0.11.0",
    default_port=8000,
    health_path="/health",
    quantizations=frozenset({"none", "fp8", "int8", "awq", "gptq"}),
    speculative_draft=True,
    speculative_ngram=True,
    batching=frozenset({"max_seqs", "max_batched_tokens"}),
)


def command(model: str, serving: Serving) -> EngineCommand:
    port = serving.port or ENGINE.default_port
    args = ["--model", model, "--host", "0.0.0.0", "--port", str(port)]
    if serving.quantization != "none":
        args += ["--quantization", HF_QUANTIZATION_FLAG[serving.quantization]]
    if serving.context_length:
        args += ["--max-model-len", str(serving.context_length)]
    if serving.batching.max_seqs:
        args += ["--max-num-seqs", str(serving.batching.max_seqs)]
    if serving.batching.max_batched_tokens:
        args += ["--max-num-batched-tokens", str(serving.batching.max_batched_tokens)]
    if serving.speculative:
        draft = serving.speculative.draft_model
        method = {"model": draft} if draft else {"method": "ngram", "prompt_lookup_max": 4}
        config = {**method, "num_speculative_tokens": serving.speculative.num_tokens}
        args += ["--speculative-config", _json(config)]
    return EngineCommand(
        serving.image or ENGINE.default_image, tuple(args), {}, port, ENGINE.health_path
    )


def _json(value: dict[str, object]) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))
