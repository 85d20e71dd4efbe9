"""GCP target kinds: Vertex AI endpoints and Cloud Run services."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from inferplane.spec.base import SpecModel
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import CloudTarget

__all__ = ["Accelerator", "CloudRunGpu", "CloudRunTarget", "VertexTarget"]


class GcpTarget(CloudTarget):
    CLOUD = "gcp"


class Accelerator(SpecModel):
    """GPUs attached to each Vertex replica."""

    type: Literal[
        "NVIDIA_L4",
        "NVIDIA_TESLA_T4",
        "NVIDIA_TESLA_A100",
        "NVIDIA_A100_80GB",
        "NVIDIA_H100_80GB",
        "NVIDIA_H100_MEGA_80GB",
        "NVIDIA_H200_141GB",
        "NVIDIA_TESLA_V100",
    ]
    count: int = Field(default=1, ge=1, le=16)


class VertexTarget(GcpTarget):
    """Managed hosting: a Model Garden / Hugging Face model on a dedicated Vertex endpoint."""

    kind: Literal["vertex"]
    machine_type: str = "g2-standard-12"
    accelerator: Accelerator | None = None
    spot: bool = False
    private: bool = True
    """Private endpoint (Private Service Connect); no public internet access."""
    kms_key: str | None = None
    """CMEK key name for the endpoint."""


class CloudRunGpu(SpecModel):
    type: Literal["nvidia-l4", "nvidia-rtx-pro-6000"] = "nvidia-l4"
    count: int = Field(default=1, ge=1, le=1)


class CloudRunTarget(GcpTarget):
    """Serverless: a model-server container on Cloud Run, with an optional GPU."""

    kind: Literal["cloud_run"]
    serving: Serving | None = None
    image: str | None = None
    """A ready image instead of ``serving`` (it must expose an OpenAI-compatible API)."""
    gpu: CloudRunGpu | None = None
    concurrency: int = Field(default=4, ge=1, le=1000)
    invokers: tuple[str, ...] = ()
    """Service accounts (``serviceAccount:...``) allowed to invoke the service."""
