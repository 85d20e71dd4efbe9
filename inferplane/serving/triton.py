"""NVIDIA Triton with the vLLM/TensorRT-LLM backend; tuning lives in the model repository,
so the spec may only choose context length."""

from __future__ import annotations

from inferplane.serving.base import EngineCommand, ServingEngine, Toggle
from inferplane.spec.serving import Serving

__all__ = ["ENGINE", "command"]

ENGINE = ServingEngine(
    name="triton",
    default_image="nvcr.io/nvidia/tritonserver:25.09-vllm-python-py3",
    default_port=8000,
    health_path="/v2/health/ready",
    quantizations=frozenset({"none"}),
    speculative_draft=False,
    context_length=False,
    prefix_caching=Toggle(default="Triton takes it from the model repository's config"),
    chunked_prefill=Toggle(default="Triton takes it from the model repository's config"),
)


def command(model: str, serving: Serving) -> EngineCommand:
    port = ENGINE.port(serving)
    args = (
        "tritonserver",
        "--model-repository=/models",
        f"--http-port={port}",
        f"--load-model={model}",
        "--model-control-mode=explicit",
    )
    return ENGINE.launch(serving, args)
