"""What a container target (``cloud_run``, ``container_app``) runs: the engine its
``serving`` block renders, or a ready image."""

from __future__ import annotations

from inferplane.components.container import ContainerSpec, Resources
from inferplane.serving import render
from inferplane.spec.serving import Serving

__all__ = ["IMAGE_PORT", "container"]

IMAGE_PORT = 8080
"""Port a ready ``image`` must listen on (Cloud Run's default ``$PORT``)."""


def container(
    model: str, serving: Serving | None, image: str | None, resources: Resources
) -> ContainerSpec:
    """The rendered engine when ``serving`` is set, else ``image`` (the spec requires
    exactly one of them); a ready image's health path is unknown (TCP probes)."""
    if serving is not None:
        return ContainerSpec.of_engine(render(model, serving), resources)
    assert image is not None  # the spec requires serving or image
    return ContainerSpec(image=image, port=IMAGE_PORT, resources=resources)
