"""SageMaker target kinds: a model container on a real-time/async endpoint, or on a
serverless endpoint."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from inferplane.catalog.aws_limits import SERVERLESS_MEMORY_MB
from inferplane.spec.targets.aws.common import S3_URI, SAGEMAKER_INSTANCE, AwsTarget, known_type

__all__ = ["SageMakerServerlessTarget", "SageMakerTarget"]


class SageMakerTarget(AwsTarget):
    """Managed hosting: a model container on a SageMaker real-time or async endpoint."""

    kind: Literal["sagemaker"]
    image: str = "tgi"
    """Container: ``tgi``, ``vllm``, ``lmi`` (the AWS Deep Learning Containers) or an ECR URI."""
    model_data: str | None = Field(default=None, pattern=S3_URI)
    """``s3://`` URI of model artifacts; without it the container downloads ``model``."""
    instance_type: str
    mode: Literal["realtime", "async"] = "realtime"
    scaling_signal: Literal["invocations", "concurrency"] = "invocations"
    """Realtime target tracking on invocations per instance per minute, or on the
    high-resolution ``ConcurrentRequestsPerModel`` (in-flight requests: what an LLM
    container feels; ``scaling.target`` then counts requests, default 4)."""
    data_capture: bool = False
    deployment: Literal["rolling", "blue_green"] = "rolling"

    @field_validator("instance_type")
    @classmethod
    def _ml_instance(cls, value: str) -> str:
        if not SAGEMAKER_INSTANCE.match(value):
            raise ValueError(f"{value!r} is not a SageMaker instance type (ml.<family>.<size>)")
        return known_type(value, "sagemaker", "ProductionVariantInstanceType")

    @model_validator(mode="after")
    def _realtime_not_zero(self) -> SageMakerTarget:
        if self.mode == "realtime" and self.scaling.min < 1:
            raise ValueError("scaling.min: a realtime endpoint keeps at least 1 instance")
        if self.mode == "async" and self.scaling_signal == "concurrency":
            raise ValueError(
                "scaling_signal 'concurrency': an async endpoint scales on its backlog; "
                "allowed: invocations (realtime only) or omit it"
            )
        return self

    @field_validator("model_data")
    @classmethod
    def _s3_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("s3://"):
            raise ValueError(f"{value!r} is not an s3:// URI")
        return value


class SageMakerServerlessTarget(AwsTarget):
    """Serverless SageMaker endpoint: CPU only, scales to zero, billed per request."""

    kind: Literal["sagemaker_serverless"]
    image: str = "tgi"
    model_data: str | None = Field(default=None, pattern=S3_URI)
    memory_mb: int = 6144
    max_concurrency: int = Field(default=10, ge=1, le=200)
    provisioned_concurrency: int | None = Field(default=None, ge=1, le=200)

    @field_validator("memory_mb")
    @classmethod
    def _memory_step(cls, value: int) -> int:
        if value not in SERVERLESS_MEMORY_MB:
            allowed = ", ".join(map(str, SERVERLESS_MEMORY_MB))
            raise ValueError(f"{value} MB is not a serverless memory size; allowed: {allowed}")
        return value
