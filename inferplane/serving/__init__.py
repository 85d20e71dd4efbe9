"""Model-server engines: how a ``serving`` block becomes a command line, environment and
health check for vLLM, TGI, Ollama, llama.cpp or Triton. One module per engine."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from inferplane.catalog.engine import ENGINE_NAMES
from inferplane.serving.base import EngineCommand, ServingEngine
from inferplane.serving.memory import weights_gib

if TYPE_CHECKING:
    from inferplane.spec.serving import Serving

__all__ = ["ENGINES", "EngineCommand", "ServingEngine", "engine", "render", "weights_gib"]

ENGINES = ENGINE_NAMES


def engine(name: str) -> ServingEngine:
    """The engine module's ``ENGINE`` object."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; allowed: {', '.join(ENGINES)}")
    module = import_module(f"inferplane.serving.{name}")
    found: ServingEngine = module.ENGINE
    return found


def render(model: str, serving: Serving) -> EngineCommand:
    """The command that serves ``model`` with ``serving``'s engine and options."""
    engine(serving.engine)  # validates the name
    module = import_module(f"inferplane.serving.{serving.engine}")
    result: EngineCommand = module.command(model, serving)
    return result
