"""Bedrock target kind: a foundation model by ID, its inference scope, guardrail and
invocation logging."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from inferplane.residency import Location
from inferplane.spec.base import ModelId, SpecModel
from inferplane.spec.capacity import CapacityMode, CommitmentTerm
from inferplane.spec.regions import geography
from inferplane.spec.targets.aws.common import AwsTarget

__all__ = ["BedrockModelId", "BedrockTarget", "Guardrail", "InvocationLogging"]

_FOUNDATION_MODEL = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9._:-]+$")
_PROFILE_PREFIXES = ("us-gov", "us", "eu", "apac", "jp", "au", "ca", "global")


def _foundation_model_id(value: str) -> str:
    """A Bedrock foundation model ID (``provider.model-version``): what the Bedrock
    component invokes and grants. ARNs and profile IDs are derived from it, never given."""
    if value.startswith("arn:"):
        resource = value.split("/", 1)[-1]
        hint = ""
        if ":foundation-model/" in value:
            hint = f"; here: model: {resource}"
        elif ":inference-profile/" in value and "." in resource:
            hint = f"; here:{_profile_hint(resource)}"
        raise ValueError(
            "is an ARN: give the foundation model ID (provider.model-version, e.g. "
            f"anthropic.claude-3-haiku-20240307-v1:0){hint}. inferplane derives the ARNs, the "
            "inference profile from `inference` and provisioned throughput from `capacity`"
        )
    prefix, _, rest = value.partition(".")
    if prefix in _PROFILE_PREFIXES and _FOUNDATION_MODEL.match(rest):
        raise ValueError(f"is an inference profile ID:{_profile_hint(value)}")
    if not _FOUNDATION_MODEL.match(value):
        raise ValueError(
            "is not a Bedrock foundation model ID (provider.model-version, e.g. "
            "anthropic.claude-3-haiku-20240307-v1:0)"
        )
    return value


def _profile_hint(profile_id: str) -> str:
    prefix, _, model = profile_id.partition(".")
    inference = "global" if prefix == "global" else "geo"
    return f" set model: {model} and inference: {inference}"


BedrockModelId = Annotated[ModelId, AfterValidator(_foundation_model_id)]
"""A Bedrock foundation model ID, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``."""


class Guardrail(SpecModel):
    """A Bedrock guardrail: content filters and what to do with PII."""

    content_filter: Literal["low", "medium", "high"] = "high"
    pii: Literal["block", "anonymize", "off"] = "anonymize"


KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")


class InvocationLogging(SpecModel):
    """Bedrock model invocation logging to an encrypted, expiring bucket in the region.
    ``true``/``false`` in the spec are short for ``{enabled: true|false}``."""

    enabled: bool = True
    text: bool = False
    """Deliver full prompt and completion text. Off: metadata only (model, token
    counts, latency), so prompts are not retained unless the stack opts in."""
    expire_days: int = Field(default=30, ge=1, le=3650)
    """Days after which logged objects are deleted."""
    kms_key: str | None = None
    """KMS key ARN for the log bucket (its key policy must let Bedrock use it); SSE-S3
    when absent."""

    @field_validator("kms_key")
    @classmethod
    def _kms_arn(cls, value: str | None) -> str | None:
        if value is not None and not KMS_KEY_ARN.match(value):
            raise ValueError(
                f"{value!r} is not a KMS key ARN (arn:aws:kms:<region>:<acct>:key/<id>)"
            )
        return value


class BedrockTarget(AwsTarget):
    """Fully managed API: a foundation model on Amazon Bedrock."""

    kind: Literal["bedrock"]
    model: BedrockModelId
    inference: Literal["region", "geo", "global"] = "region"
    """``region``: the in-region model ID; ``geo``: a geographic cross-region profile
    (``us.``/``eu.``/``apac.``) that stays in the region's geography; ``global``: may be
    processed in any commercial region."""
    guardrail: Guardrail | None = None
    invocation_logging: InvocationLogging = InvocationLogging()

    @field_validator("invocation_logging", mode="before")
    @classmethod
    def _logging_switch(cls, value: object) -> object:
        return {"enabled": value} if isinstance(value, bool) else value

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand", "provisioned"})
    COMMITMENT_TERMS: ClassVar[frozenset[CommitmentTerm]] = frozenset(
        {"none", "1_month", "6_months"}
    )

    @model_validator(mode="after")
    def _provisioned_in_region(self) -> BedrockTarget:
        if self.capacity.mode == "provisioned" and self.inference != "region":
            raise ValueError(
                "provisioned throughput serves the in-region model; set inference: region"
            )
        return self

    @property
    def geography(self) -> str:
        return geography("aws", self.region)

    @property
    def model_ref(self) -> str:
        """The modelId to invoke: in-region ID or inference profile ID."""
        if self.inference == "geo":
            return f"{self.geography}.{self.model}"
        if self.inference == "global":
            return f"global.{self.model}"
        return self.model

    @property
    def location(self) -> Location:
        if self.inference == "geo":
            return Location("geo", "aws", self.geography)
        if self.inference == "global":
            return Location("global", "aws")
        return Location("cloud", "aws", self.region)
