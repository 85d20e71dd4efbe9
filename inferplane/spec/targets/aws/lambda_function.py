"""Lambda target kind: a serverless function that calls a Bedrock model."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from inferplane.catalog.aws_limits import LOG_RETENTION_DAYS
from inferplane.spec.targets.aws.bedrock import BedrockModelId
from inferplane.spec.targets.aws.common import AwsTarget

__all__ = ["LambdaTarget"]


class LambdaTarget(AwsTarget):
    """Serverless function that calls a Bedrock model; scales to zero."""

    kind: Literal["lambda"]
    model: BedrockModelId
    """The Bedrock foundation model the function calls (in its region)."""
    memory_mb: int = Field(default=512, ge=128, le=10240)
    timeout_s: int = Field(default=60, ge=1, le=900)
    reserved_concurrency: int | None = Field(default=None, ge=0, le=1000)
    log_retention_days: int = 30

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise ValueError(f"{value} days is not a CloudWatch retention; allowed: {allowed}")
        return value
