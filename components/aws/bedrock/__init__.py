"""Bedrock: a foundation model behind a fully managed API (``component``), built from one
module per concept: its arguments and their checks (``args``), provisioned throughput
(``throughput``), the guardrail (``guardrail``), the invoke policy and the ARNs it names
(``access``) and the region's invocation logging (``invocation_logging``)."""

from __future__ import annotations

from inferplane.components.aws.bedrock.args import BedrockArgs, Commitment, GuardrailArgs, Inference
from inferplane.components.aws.bedrock.component import Bedrock

__all__ = ["Bedrock", "BedrockArgs", "Commitment", "GuardrailArgs", "Inference"]
