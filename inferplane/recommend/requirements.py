"""What a team needs from an inference deployment: the inputs of the decision table."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from inferplane.spec.base import Name, SpecModel
from inferplane.spec.regions import is_region

__all__ = ["Architecture", "Requirements"]

Architecture = Literal[
    "edge", "managed_api", "managed_hosting", "self_hosted", "serverless", "hybrid"
]


class Requirements(SpecModel):
    """Requirements for ``inferplane recommend`` (flags, or a YAML/JSON file)."""

    latency_budget_ms: float | None = Field(default=None, gt=0)
    """Budget for one answer (p50). Cloud models answer in 200-2000 ms, edge in 1-50 ms."""
    offline: bool = False
    """Must keep working without a network connection."""
    restricted_share: float = Field(default=0.0, ge=0, le=1)
    """Fraction of requests carrying data that must not leave the premises."""
    data_sensitivity: Literal["public", "internal", "confidential"] = "internal"
    """The most sensitive class among the rest of the traffic."""
    regulated: bool = False
    """Regulated data: everything that may go to the cloud stays in the residency zone."""
    capability: Literal["frontier", "general", "custom"] = "general"
    """``frontier``: the strongest hosted models; ``custom``: your own or fine-tuned model."""
    volume: Literal["steady", "variable", "unknown"] = "unknown"
    """Load pattern: steady and predictable, variable/spiky, or not known yet."""
    rps: float = Field(default=1.0, ge=0)
    """Average requests per second."""
    peak_rps: float | None = Field(default=None, ge=0)
    time_to_market: Literal["days", "weeks", "months"] = "weeks"
    region: str = "us-east-1"
    """AWS region for the cloud part."""
    site: Name = "site-1"
    """Edge site name for the on-premises part."""
    model: str | None = None
    """Your model (Hugging Face ID) for custom capability."""
    avg_input_tokens: int = Field(default=800, ge=1)
    avg_output_tokens: int = Field(default=200, ge=1)

    @field_validator("region")
    @classmethod
    def _aws_region(cls, value: str) -> str:
        if not is_region("aws", value):
            raise ValueError(f"{value!r} is not an AWS region")
        return value

    @model_validator(mode="after")
    def _peak_at_least_average(self) -> Requirements:
        if self.peak_rps is not None and self.peak_rps < self.rps:
            raise ValueError(f"peak_rps ({self.peak_rps}) is below rps ({self.rps})")
        return self
