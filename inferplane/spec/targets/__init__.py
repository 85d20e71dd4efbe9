"""Target kinds: one pydantic model each, chosen by ``kind``."""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from inferplane.spec.targets.aws import (
    BedrockTarget,
    GpuFleetTarget,
    LambdaTarget,
    SageMakerServerlessTarget,
    SageMakerTarget,
)
from inferplane.spec.targets.azure import AzureMlTarget, AzureOpenAITarget, ContainerAppTarget
from inferplane.spec.targets.base import CloudTarget, TargetBase
from inferplane.spec.targets.gcp import CloudRunTarget, VertexTarget
from inferplane.spec.targets.selfhosted import EdgeTarget, KubernetesTarget

__all__ = [
    "KINDS",
    "AzureMlTarget",
    "AzureOpenAITarget",
    "BedrockTarget",
    "CloudRunTarget",
    "CloudTarget",
    "ContainerAppTarget",
    "EdgeTarget",
    "GpuFleetTarget",
    "KubernetesTarget",
    "LambdaTarget",
    "SageMakerServerlessTarget",
    "SageMakerTarget",
    "Target",
    "TargetBase",
    "VertexTarget",
]

Target = Annotated[
    BedrockTarget
    | SageMakerTarget
    | SageMakerServerlessTarget
    | LambdaTarget
    | GpuFleetTarget
    | VertexTarget
    | CloudRunTarget
    | AzureMlTarget
    | AzureOpenAITarget
    | ContainerAppTarget
    | KubernetesTarget
    | EdgeTarget,
    Field(discriminator="kind"),
]

KINDS: tuple[str, ...] = tuple(
    get_args(model.model_fields["kind"].annotation)[0] for model in get_args(get_args(Target)[0])
)
"""Every target kind, in declaration order."""
