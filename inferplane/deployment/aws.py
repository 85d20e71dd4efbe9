"""AWS target kinds -> components: Bedrock, SageMaker (real-time/async, serverless),
Lambda and the self-hosted GPU fleet. The only place that reads AWS target specs."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal, TypedDict

import pulumi

from inferplane.catalog.engine_metrics import ENGINE_METRICS, default_target
from inferplane.components.aws.arns import foundation_model_arn
from inferplane.components.aws.bedrock import Bedrock, BedrockArgs, Commitment, GuardrailArgs
from inferplane.components.aws.gpu_fleet import (
    CreatedReservation,
    GpuFleet,
    GpuFleetArgs,
    ReservationTarget,
)
from inferplane.components.aws.iam import Statement
from inferplane.components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs
from inferplane.components.aws.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from inferplane.components.aws.sagemaker_serverless import (
    SageMakerServerlessArgs,
    SageMakerServerlessEndpoint,
)
from inferplane.components.base import Labels
from inferplane.components.container import ContainerSpec
from inferplane.deployment.context import DeployContext
from inferplane.packaging.converse_zip import HANDLER as CONVERSE_HANDLER
from inferplane.packaging.converse_zip import converse_files
from inferplane.packaging.converse_zip import function_environment as converse_function_environment
from inferplane.serving import render, weights_gib
from inferplane.serving.memory import params_from_name
from inferplane.spec.capacity import Capacity
from inferplane.spec.targets.aws import (
    BedrockTarget,
    GpuFleetTarget,
    LambdaTarget,
    SageMakerServerlessTarget,
    SageMakerTarget,
)

__all__ = [
    "bedrock",
    "fleet_volume_gib",
    "gpu_fleet",
    "lambda_function",
    "sagemaker",
    "sagemaker_serverless",
]

COMMITMENTS: dict[str, Commitment] = {
    "none": "none",
    "1_month": "OneMonth",
    "6_months": "SixMonths",
}
FILTER_STRENGTH: dict[str, Literal["LOW", "MEDIUM", "HIGH"]] = {
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
}
PII_ACTION: dict[str, Literal["BLOCK", "ANONYMIZE"] | None] = {
    "block": "BLOCK",
    "anonymize": "ANONYMIZE",
    "off": None,
}
# Root volume of a GPU fleet instance: the Deep Learning AMI's snapshot (75 GiB), the
# engine's container image (vLLM/TGI images unpack to ~20 GiB), and the weights twice
# (the download plus the engine's converted or cached copy).
AMI_GIB, IMAGE_GIB, WEIGHT_COPIES = 75, 25, 2.0
DEFAULT_PARAMS_B = 8.0


def bedrock(name: str, target: BedrockTarget, ctx: DeployContext) -> Bedrock:
    capacity = target.capacity
    provisioned = capacity.mode == "provisioned"
    guardrail = None
    if target.guardrail is not None:
        spec = target.guardrail
        guardrail = GuardrailArgs(
            content_strength=FILTER_STRENGTH[spec.content_filter], pii_action=PII_ACTION[spec.pii]
        )
    logging = target.invocation_logging
    return Bedrock(
        name,
        BedrockArgs(
            region=target.region,
            model_id=target.model,
            labels=ctx.labels(name),
            name_prefix=ctx.resource_name(name),
            inference=target.inference,
            geography=target.geography if target.inference == "geo" else None,
            provisioned_units=capacity.units if provisioned else None,
            commitment=COMMITMENTS[capacity.term] if provisioned else "none",
            approval=capacity.approval,
            guardrail=guardrail,
            invocation_logging=_owns_invocation_logging(name, target, ctx),
            log_text=logging.text,
            log_expire_days=logging.expire_days,
            log_kms_key_arn=logging.kms_key,
        ),
    )


def _owns_invocation_logging(name: str, target: BedrockTarget, ctx: DeployContext) -> bool:
    """Invocation logging is one setting per account and region: the first Bedrock
    target (in spec order) of each region that asks for it holds it for all of them."""
    if not target.invocation_logging.enabled:
        return False
    for other_name, other in ctx.spec.targets.items():
        if (
            isinstance(other, BedrockTarget)
            and other.region == target.region
            and other.invocation_logging.enabled
        ):
            return other_name == name
    return False


def sagemaker(name: str, target: SageMakerTarget, ctx: DeployContext) -> SageMakerEndpoint:
    scaling = target.scaling
    return SageMakerEndpoint(
        name,
        SageMakerEndpointArgs(
            **_sagemaker_model(name, target, ctx),
            instance_type=target.instance_type,
            mode=target.mode,
            initial_instances=max(1, scaling.desired or scaling.min),
            min_instances=scaling.min,
            max_instances=scaling.max,
            target_value=scaling.target,
            scaling_signal=target.scaling_signal,
            scale_in_protection=ctx.spec.environment == "prod",
            data_capture=target.data_capture,
            deployment=target.deployment,
        ),
    )


class _SageMakerModel(TypedDict):
    """The ``SageMakerModelArgs`` fields both SageMaker kinds take from their target."""

    region: str
    model_id: str
    labels: Labels
    name_prefix: str
    image: str
    model_data: str | None


def _sagemaker_model(
    name: str, target: SageMakerTarget | SageMakerServerlessTarget, ctx: DeployContext
) -> _SageMakerModel:
    return _SageMakerModel(
        region=target.region,
        model_id=target.model,
        labels=ctx.labels(name),
        name_prefix=ctx.resource_name(name),
        image=target.image,
        model_data=target.model_data,
    )


def sagemaker_serverless(
    name: str, target: SageMakerServerlessTarget, ctx: DeployContext
) -> SageMakerServerlessEndpoint:
    return SageMakerServerlessEndpoint(
        name,
        SageMakerServerlessArgs(
            **_sagemaker_model(name, target, ctx),
            memory_mb=target.memory_mb,
            max_concurrency=target.max_concurrency,
            provisioned_concurrency=target.provisioned_concurrency,
        ),
    )


def lambda_function(name: str, target: LambdaTarget, ctx: DeployContext) -> LambdaFunction:
    """A ``lambda`` target: the Converse proxy in front of one in-region Bedrock model."""
    model_arn = foundation_model_arn(target.region, target.model)
    return LambdaFunction(
        name,
        LambdaFunctionArgs(
            region=target.region,
            # The handler and the router's Converse translator it imports.
            code=pulumi.AssetArchive(
                {name: pulumi.FileAsset(path) for name, path in converse_files().items()}
            ),
            handler=CONVERSE_HANDLER,
            labels=ctx.labels(name),
            name_prefix=ctx.resource_name(name),
            environment=converse_function_environment(target.model),
            memory_mb=target.memory_mb,
            timeout_s=target.timeout_s,
            reserved_concurrency=target.reserved_concurrency,
            log_retention_days=target.log_retention_days,
            statements=(
                Statement(
                    sid="InvokeModel",
                    actions=("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
                    resources=[model_arn],
                ),
            ),
            public=target.public,
            model=target.model,
            description=f"inferplane {name}: OpenAI-compatible proxy to {target.model}",
        ),
    )


def gpu_fleet(name: str, target: GpuFleetTarget, ctx: DeployContext) -> GpuFleet:
    scaling, spot = target.scaling, target.spot
    reservation, created = _reservations(target.capacity)
    engine = render(target.model, target.serving)
    if target.scaling_signal == "queue" and target.serving.engine == "llamacpp":
        # llama-server serves /metrics only when asked.
        engine = replace(engine, args=(*engine.args, "--metrics"))
    return GpuFleet(
        name,
        GpuFleetArgs(
            region=target.region,
            instance_type=target.instance_type,
            container=ContainerSpec.of_engine(engine),
            # Ollama serves models under their quantised tag; other engines under the ID.
            model=engine.env.get("OLLAMA_MODEL", target.model),
            labels=ctx.labels(name),
            name_prefix=ctx.resource_name(name),
            volume_gib=target.volume_gb or fleet_volume_gib(target),
            min_size=scaling.min,
            max_size=scaling.max,
            desired=scaling.desired,
            on_demand_base=min(spot.on_demand_base, scaling.max),
            spot_percentage=spot.spot_percentage,
            extra_instance_types=spot.instance_types,
            spot_allocation=spot.allocation,
            on_demand_fallback=spot.on_demand_fallback,
            warm_pool=target.warm_pool,
            reservation=reservation,
            created_reservation=created,
            target_requests=scaling.target or 60.0,
            queue_metric=ENGINE_METRICS[target.serving.engine]["queue"]
            if target.scaling_signal == "queue"
            else None,
            target_queue=scaling.target
            or default_target(target.serving.engine, "queue", target.serving.batching.max_seqs),
            vpc_id=target.network.vpc_id,
            subnet_ids=target.network.subnet_ids,
            architecture="arm64" if target.instance_type.split(".")[0].endswith("g") else "x86_64",
            hf_token_secret_arn=target.hf_token_secret,
            certificate_arn=target.tls.certificate_arn if target.tls else None,
            domain_name=target.tls.domain if target.tls else None,
        ),
    )


def fleet_volume_gib(target: GpuFleetTarget) -> int:
    """Root volume for the fleet's model: AMI + engine image + the weights twice, rounded
    up to 10 GiB."""
    serving = target.serving
    params = serving.params_b or params_from_name(target.model) or DEFAULT_PARAMS_B
    need = AMI_GIB + IMAGE_GIB + WEIGHT_COPIES * weights_gib(params, serving.quantization)
    return int(math.ceil(need / 10) * 10)


def _reservations(
    capacity: Capacity,
) -> tuple[ReservationTarget | None, CreatedReservation | None]:
    if capacity.mode != "reserved":
        return None, None
    if capacity.reservation_ids:
        preference = capacity.preference or "capacity-reservations-first"
        return ReservationTarget(capacity.reservation_ids, preference), None
    if capacity.units:
        return None, CreatedReservation(
            capacity.units, capacity.end_date, approval=capacity.approval
        )
    return ReservationTarget((), capacity.preference or "open"), None
