"""What a Bedrock target is given: the model, where requests may be processed, provisioned
throughput, a guardrail and invocation logging; and the checks those arguments pass before
anything registers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from inferplane.components.aws.checks import botocore_enum, check_choice, check_range, check_region
from inferplane.components.aws.wiring import BEDROCK_ACTIONS
from inferplane.components.base import Labels

__all__ = [
    "COMMITMENTS",
    "CONTENT_FILTERS",
    "DEFAULT_PII",
    "FILTER_STRENGTHS",
    "GEO_PREFIXES",
    "INFERENCE",
    "INVOKE_ACTIONS",
    "PII_ACTIONS",
    "BedrockArgs",
    "Commitment",
    "GuardrailArgs",
    "Inference",
    "check",
]

Inference = Literal["region", "geo", "global"]
Commitment = Literal["none", "OneMonth", "SixMonths"]

INFERENCE = ("region", "geo", "global")
COMMITMENTS = ("none", "OneMonth", "SixMonths")
# Prefixes of Bedrock's system-defined geographic inference profiles.
GEO_PREFIXES = ("apac", "au", "ca", "eu", "jp", "us", "us-gov")
FILTER_STRENGTHS = ("LOW", "MEDIUM", "HIGH")
PII_ACTIONS = ("BLOCK", "ANONYMIZE")
CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
DEFAULT_PII = (
    "ADDRESS",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "EMAIL",
    "IP_ADDRESS",
    "NAME",
    "PASSWORD",
    "PHONE",
    "US_SOCIAL_SECURITY_NUMBER",
)
INVOKE_ACTIONS = BEDROCK_ACTIONS


@dataclass(frozen=True)
class GuardrailArgs:
    """A guardrail applied to every call: content filters and PII handling."""

    content_strength: Literal["LOW", "MEDIUM", "HIGH"] = "HIGH"
    """Strength of the hate/insults/sexual/violence/misconduct/prompt-attack filters."""
    pii_action: Literal["BLOCK", "ANONYMIZE"] | None = "ANONYMIZE"
    """What to do with PII found in prompts or answers; None turns PII handling off."""
    pii_types: tuple[str, ...] = DEFAULT_PII
    """PII entity types (Bedrock's GuardrailPiiEntityType values)."""
    blocked_message: str = "This request was blocked by policy."
    """What the caller sees when the guardrail blocks input or output."""


@dataclass(frozen=True)
class BedrockArgs:
    """A Bedrock foundation model target."""

    region: str
    """Region the model is called in (the inference profile's source region)."""
    model_id: str
    """Foundation model ID, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``."""
    labels: Labels
    """Tags for every resource."""
    name_prefix: str
    """Prefix of physical names (``<stack>-<target>``)."""
    inference: Inference = "region"
    """``region`` (in-region model ID), ``geo`` (geographic profile) or ``global``."""
    geography: str | None = None
    """Profile prefix for ``geo`` inference: us, eu, apac, ... (required for geo)."""
    provisioned_units: int | None = None
    """Model units of provisioned throughput; None calls the model on demand."""
    commitment: Commitment = "none"
    """Provisioned throughput commitment: none (hourly), OneMonth or SixMonths."""
    approval: str | None = None
    """Change/approval reference for a commitment, tagged ``capacity-approval``."""
    guardrail: GuardrailArgs | None = None
    """Guardrail to create (with a published version); None for none."""
    invocation_logging: bool = False
    """Own the region's model invocation logging (one per account and region)."""
    log_text: bool = False
    """Deliver full prompt and completion text to the log bucket. Off: Bedrock logs the
    invocation metadata only (model, token counts, latency), never prompts."""
    log_expire_days: int = 30
    """Days after which logged objects are deleted (bucket lifecycle rule)."""
    log_kms_key_arn: str | None = None
    """KMS key for the log bucket; SSE-S3 when None."""
    extra_tags: dict[str, str] = field(default_factory=dict)
    """Tags added to the labels' tags."""

    @property
    def model_ref(self) -> str:
        """The on-demand modelId: the model ID or the inference profile ID."""
        if self.inference == "geo":
            return f"{self.geography}.{self.model_id}"
        if self.inference == "global":
            return f"global.{self.model_id}"
        return self.model_id


def check(args: BedrockArgs) -> None:
    """Refuse arguments Bedrock cannot honour (a ``ValueError`` naming the argument)."""
    check_region("region", args.region)
    _check_model(args)
    _check_logging(args)
    _check_inference(args)
    _check_throughput(args)
    if args.guardrail is not None:
        _check_guardrail(args.guardrail)


def _check_model(args: BedrockArgs) -> None:
    if not args.model_id or "/" in args.model_id or args.model_id.startswith("arn:"):
        raise ValueError(
            f"model_id: {args.model_id!r} is not a foundation model ID (provider.model-version)"
        )
    check_choice("inference", args.inference, INFERENCE)


def _check_logging(args: BedrockArgs) -> None:
    check_range("log_expire_days", args.log_expire_days, 1, 3650)
    if args.log_kms_key_arn is not None and not args.log_kms_key_arn.startswith("arn:aws"):
        raise ValueError(f"log_kms_key_arn: {args.log_kms_key_arn!r} is not a KMS key ARN")


def _check_inference(args: BedrockArgs) -> None:
    if args.inference == "geo":
        check_choice("geography", args.geography, GEO_PREFIXES)
    elif args.geography is not None:
        raise ValueError(f"geography: {args.geography!r} is only used with inference 'geo'")


def _check_throughput(args: BedrockArgs) -> None:
    check_choice("commitment", args.commitment, COMMITMENTS)
    if args.provisioned_units is None:
        if args.commitment != "none":
            raise ValueError(f"commitment: {args.commitment!r} needs provisioned_units")
        return
    check_range("provisioned_units", args.provisioned_units, 1, 10_000)
    if args.inference != "region":
        raise ValueError(
            f"inference: {args.inference!r} with provisioned_units; provisioned"
            " throughput serves the in-region model, so inference must be 'region'"
        )


def _check_guardrail(guardrail: GuardrailArgs) -> None:
    check_choice("guardrail.content_strength", guardrail.content_strength, FILTER_STRENGTHS)
    if guardrail.pii_action is not None:
        check_choice("guardrail.pii_action", guardrail.pii_action, PII_ACTIONS)
    allowed = botocore_enum("bedrock", "GuardrailPiiEntityType")
    for pii in guardrail.pii_types:
        check_choice("guardrail.pii_types", pii, allowed)
