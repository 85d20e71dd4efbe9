"""Bedrock: a foundation model behind a fully managed API (``component``), built from one
module per concept: its arguments and their checks (``args``), provisioned throughput
(``throughput``), the guardrail (``guardrail``), the invoke policy and the ARNs it names
(``access``) and the region's invocation logging (``invocation_logging``)."""

from __future__ import annotations

from inferplane.components.aws.bedrock.args import (
    COMMITMENTS,
    CONTENT_FILTERS,
    DEFAULT_PII,
    FILTER_STRENGTHS,
    GEO_PREFIXES,
    INFERENCE,
    INVOKE_ACTIONS,
    PII_ACTIONS,
    BedrockArgs,
    Commitment,
    GuardrailArgs,
    Inference,
)
from inferplane.components.aws.bedrock.component import Bedrock

__all__ = [
    "COMMITMENTS",
    "CONTENT_FILTERS",
    "DEFAULT_PII",
    "FILTER_STRENGTHS",
    "GEO_PREFIXES",
    "INFERENCE",
    "INVOKE_ACTIONS",
    "PII_ACTIONS",
    "Bedrock",
    "BedrockArgs",
    "Commitment",
    "GuardrailArgs",
    "Inference",
]
