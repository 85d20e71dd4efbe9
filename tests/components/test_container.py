"""ContainerSpec: the engine renderer's command reaches a container unchanged."""

from __future__ import annotations

from inferplane.catalog.engine import EngineCommand
from inferplane.components.container import ContainerSpec, Resources


def test_of_engine_keeps_every_field_the_renderer_decided() -> None:
    engine = EngineCommand(
        image="vllm/vllm-openai:v0.6.3",
        args=("--model", "m", "--max-model-len", "8192"),
        env={"HF_HOME": "/cache"},
        port=8000,
        health_path="/health",
        openai_base_path="/v1",
    )
    spec = ContainerSpec.of_engine(engine, Resources(cpu=8, memory_gib=30, gpus=1))
    assert (spec.image, spec.port, spec.args, dict(spec.env), spec.health_path) == (
        "vllm/vllm-openai:v0.6.3",
        8000,
        ("--model", "m", "--max-model-len", "8192"),
        {"HF_HOME": "/cache"},
        "/health",
    )
    assert spec.resources == Resources(cpu=8, memory_gib=30, gpus=1)
    assert spec.command == ()


def test_with_env_overrides_and_leaves_the_original_alone() -> None:
    spec = ContainerSpec(image="i", env={"A": "1", "B": "2"})
    more = spec.with_env({"B": "3", "C": "4"})
    assert dict(more.env) == {"A": "1", "B": "3", "C": "4"}
    assert dict(spec.env) == {"A": "1", "B": "2"}
