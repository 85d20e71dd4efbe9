"""GCP target kinds: Vertex AI endpoints and Cloud Run services."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from inferplane.catalog.gcp import (
    cloud_run_gpu_refusal,
    cloud_run_size_refusal,
    vertex_accelerator,
    vertex_machine_refusal,
)
from inferplane.spec.base import GcpSecretRef, ImageRef, SpecModel, Unique
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
    """Managed hosting: a Model Garden / Hugging Face model on a dedicated Vertex endpoint.

    ``model`` is a Model Garden name (``publishers/google/models/gemma3@gemma-3-1b-it``) or
    a Hugging Face ID (``meta-llama/Llama-3.1-8B-Instruct``)."""

    kind: Literal["vertex"]
    machine_type: str = "g2-standard-12"
    accelerator: Accelerator | None = None
    """GPUs per replica; implied by G2/A2/A3 machine types, required choice on N1."""
    spot: bool = False
    private: bool = True
    """Private endpoint (Private Service Connect); no public internet access."""
    kms_key: str | None = None
    """CMEK key name for the endpoint (needs ``model_deploy: external``)."""
    model_deploy: Literal["model_garden", "external"] = "model_garden"
    """``model_garden``: Pulumi deploys the model (one resource makes endpoint + model).
    ``external``: Pulumi makes the endpoint only (CMEK, labels, PSC) and a release step
    deploys the model onto it; pulumi-gcp has no resource for that deploy."""
    accept_eula: bool = False
    """Accept the model's licence (gated Model Garden / Hugging Face models need it)."""

    @property
    def attached_accelerator(self) -> tuple[str, int] | None:
        """The ``accelerator`` block as (type, count)."""
        return None if self.accelerator is None else (self.accelerator.type, self.accelerator.count)

    @property
    def gpus_per_replica(self) -> tuple[str, int] | None:
        """The GPU type and count a replica runs with: built into the machine or attached."""
        return vertex_accelerator(self.machine_type, self.attached_accelerator)

    @model_validator(mode="after")
    def _deployable(self) -> VertexTarget:
        refusal = vertex_machine_refusal(self.machine_type, self.attached_accelerator)
        if refusal:
            raise ValueError(refusal)
        if self.kms_key is not None and self.model_deploy == "model_garden":
            raise ValueError(
                "kms_key needs model_deploy: external; a Model Garden deployment "
                "(AiEndpointWithModelGardenDeployment) takes no encryption key"
            )
        if self.scaling.min < 1:
            raise ValueError(
                f"scaling.min {self.scaling.min} is not allowed; Vertex dedicated "
                "endpoints keep at least 1 replica"
            )
        return self


class CloudRunGpu(SpecModel):
    type: Literal["nvidia-l4", "nvidia-rtx-pro-6000"] = "nvidia-l4"
    count: int = Field(default=1, ge=1, le=1)


class CloudRunTarget(GcpTarget):
    """Serverless: a model-server container on Cloud Run, with an optional GPU."""

    kind: Literal["cloud_run"]
    serving: Serving | None = None
    image: ImageRef | None = None
    """A ready image instead of ``serving`` (it must expose an OpenAI-compatible API)."""
    gpu: CloudRunGpu | None = None
    cpu: float = Field(default=4, gt=0, le=32)
    """vCPUs per instance (GPU instances need at least the GPU type's minimum)."""
    memory_gib: float = Field(default=16, gt=0, le=192)
    """Memory per instance in GiB."""
    concurrency: int = Field(default=4, ge=1, le=1000)
    ingress: Literal["internal", "internal_and_cloud_load_balancing"] = "internal"
    """Who may reach the service when it is not ``public``."""
    invokers: Unique[str] = ()
    """Service accounts (``serviceAccount:...``) allowed to invoke the service."""
    hf_token_secret: GcpSecretRef | None = None
    """Secret Manager secret holding a Hugging Face token, for gated models: read into
    ``HF_TOKEN`` at start by the service's own identity (granted on that secret only)."""

    @field_validator("invokers")
    @classmethod
    def _service_accounts(cls, invokers: tuple[str, ...]) -> tuple[str, ...]:
        for member in invokers:
            if not member.startswith("serviceAccount:") or "@" not in member:
                raise ValueError(
                    f"invoker {member!r} is not a service account; use "
                    "serviceAccount:<name>@<project>.iam.gserviceaccount.com (public: true "
                    "is the only way to allow everyone)"
                )
        return invokers

    @model_validator(mode="after")
    def _runnable(self) -> CloudRunTarget:
        if (self.serving is None) == (self.image is None):
            raise ValueError("set exactly one of serving (an engine) or image")
        if self.gpu is not None:
            refusal = cloud_run_gpu_refusal(
                self.gpu.type, self.gpu.count, self.region, self.cpu, self.memory_gib
            )
            if refusal:
                raise ValueError(refusal)
        else:
            refusal = cloud_run_size_refusal(self.cpu, self.memory_gib)
            if refusal:
                raise ValueError(refusal)
        return self
