"""How a model server is started, as a value: what the serving renderers
(``inferplane.serving``) produce and what the components that run servers (GPU fleet,
Kubernetes, Cloud Run, Container Apps, edge) consume."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ENGINE_NAMES", "EngineCommand"]

ENGINE_NAMES: tuple[str, ...] = ("vllm", "tgi", "ollama", "llamacpp", "triton")
"""The engines a spec may name; ``inferplane.serving`` has one renderer for each."""


@dataclass(frozen=True)
class EngineCommand:
    """How to start one model server: image, arguments, environment, port, health path."""

    image: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 8000
    health_path: str = "/health"
    openai_base_path: str = "/v1"
