"""What a container target (``cloud_run``, ``container_app``) runs: the engine its
``serving`` block renders, or a ready image."""

from __future__ import annotations

from dataclasses import dataclass, field

from inferplane.serving import render
from inferplane.spec.serving import Serving

__all__ = ["IMAGE_PORT", "Container", "container"]

IMAGE_PORT = 8080
"""Port a ready ``image`` must listen on (Cloud Run's default ``$PORT``)."""


@dataclass(frozen=True)
class Container:
    image: str
    port: int
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    health_path: str | None = None
    """The engine's health path; unknown (``None``) for a ready image."""
    openai_base_path: str = "/v1"


def container(model: str, serving: Serving | None, image: str | None) -> Container:
    """The rendered engine when ``serving`` is set, else ``image`` (the spec requires
    exactly one of them)."""
    if serving is not None:
        command = render(model, serving)
        return Container(
            command.image,
            command.port,
            command.args,
            command.env,
            command.health_path,
            command.openai_base_path,
        )
    assert image is not None  # the spec requires serving or image
    return Container(image, IMAGE_PORT)
