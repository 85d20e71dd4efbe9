"""Ollama: GGUF models by tag; tuned through environment variables, not flags."""

from __future__ import annotations

from inferplane.serving.base import EngineCommand, ServingEngine, Toggle
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command", "model_tag"]

ENGINE = ServingEngine(
    name="ollama",
    default_image="ollama/ollama:0.12.6",
    default_port=11434,
    health_path="/api/version",
    quantizations=frozenset({"none", "q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"}),
    speculative_draft=False,
    batching=frozenset({"max_seqs"}),
    prefix_caching=Toggle(default="Ollama has no environment variable for prefix caching"),
    chunked_prefill=Toggle(default="Ollama has no environment variable for chunked prefill"),
)


def model_tag(model: str, serving: Serving) -> str:
    """Ollama names quantized builds by tag suffix, e.g. ``llama3.1:8b-instruct-q4_K_M``."""
    if serving.quantization == "none" or ":" not in model:
        return model
    level = "q" + serving.quantization[1:].upper()
    return f"{model}-{level}"


def command(model: str, serving: Serving) -> EngineCommand:
    port = ENGINE.port(serving)
    env = {"OLLAMA_HOST": f"0.0.0.0:{port}", "OLLAMA_MODEL": model_tag(model, serving)}
    if serving.context_length:
        env["OLLAMA_CONTEXT_LENGTH"] = str(serving.context_length)
    if serving.batching.max_seqs:
        env["OLLAMA_NUM_PARALLEL"] = str(serving.batching.max_seqs)
    return ENGINE.launch(serving, ("serve",), env)
