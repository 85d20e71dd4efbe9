"""AWS target kinds, one module per family: Bedrock, SageMaker (real-time/async and
serverless), Lambda, GPU fleet. ``inferplane.spec.targets.aws`` re-exports them all."""

from __future__ import annotations

from inferplane.spec.targets.aws.bedrock import (
    BedrockModelId,
    BedrockTarget,
    Guardrail,
    InvocationLogging,
)
from inferplane.spec.targets.aws.common import AwsTarget
from inferplane.spec.targets.aws.gpu_fleet import FleetTls, GpuFleetTarget, Network, SpotMix
from inferplane.spec.targets.aws.lambda_function import LambdaTarget
from inferplane.spec.targets.aws.sagemaker import SageMakerServerlessTarget, SageMakerTarget

__all__ = [
    "AwsTarget",
    "BedrockModelId",
    "BedrockTarget",
    "FleetTls",
    "GpuFleetTarget",
    "Guardrail",
    "InvocationLogging",
    "LambdaTarget",
    "Network",
    "SageMakerServerlessTarget",
    "SageMakerTarget",
    "SpotMix",
]
