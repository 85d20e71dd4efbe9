"""One container, as a value: what every platform that runs a container needs to start it.

Cloud Run, Container Apps, Kubernetes workloads and the GPU fleet's engine unit each take a
``ContainerSpec`` instead of repeating image/command/args/port/env/health/resources fields in
their own args; what differs per platform (GPU kind, secrets store, scaling knobs, ingress)
stays in that platform's args. A model server's spec comes from the engine renderer's
``EngineCommand`` through :meth:`ContainerSpec.of_engine`, so the flags a renderer decides
reach every platform unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pulumi

from inferplane.catalog.engine import EngineCommand

__all__ = ["ContainerSpec", "Resources"]


@dataclass(frozen=True)
class Resources:
    """What one replica of the container is given."""

    cpu: float = 1.0
    """vCPUs."""
    memory_gib: float = 2.0
    """Memory in GiB."""
    gpus: int = 0
    """GPUs attached (the GPU's kind is the platform's own field)."""


@dataclass(frozen=True)
class ContainerSpec:
    """Image, entrypoint, arguments, port, environment, health path and resources."""

    image: str
    """Container image; pin by digest in production."""
    port: int = 8080
    """Port the process listens on."""
    command: tuple[str, ...] = ()
    """Entrypoint override; empty keeps the image's."""
    args: tuple[str, ...] = ()
    """Arguments (a model server's engine flags)."""
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (values may be Outputs, e.g. the router's config JSON)."""
    health_path: str | None = None
    """HTTP path answering 200 once ready; None: the platform's TCP probe."""
    openai_base_path: str = "/v1"
    """Path prefix of an OpenAI-compatible API, appended to the service URL."""
    resources: Resources = field(default_factory=Resources)
    """CPU, memory and GPU count per replica."""

    @classmethod
    def of_engine(cls, engine: EngineCommand, resources: Resources | None = None) -> ContainerSpec:
        """The container a rendered model server runs in."""
        return cls(
            image=engine.image,
            port=engine.port,
            args=engine.args,
            env=dict(engine.env),
            health_path=engine.health_path,
            openai_base_path=engine.openai_base_path,
            resources=resources or Resources(),
        )

    def with_env(self, extra: Mapping[str, pulumi.Input[str]]) -> ContainerSpec:
        """A copy with ``extra`` added to (and overriding) the environment."""
        return replace(self, env={**self.env, **extra})
