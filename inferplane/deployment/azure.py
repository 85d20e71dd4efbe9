"""Azure target kinds -> components: ``azure_openai`` -> AzureOpenAI, ``azure_ml`` ->
AzureMlEndpoint, ``container_app`` -> ContainerAppService (running the engine the
``serving`` block renders, or a ready image)."""

from __future__ import annotations

from components.azure.azure_ml_endpoint import AzureMlEndpoint, AzureMlEndpointArgs
from components.azure.azure_openai import AzureOpenAI, AzureOpenAIArgs
from components.azure.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
)
from inferplane.deployment.container import container
from inferplane.deployment.context import DeployContext
from inferplane.spec.targets import AzureMlTarget, AzureOpenAITarget, ContainerAppTarget

__all__ = ["azure_ml", "azure_openai", "container_app"]

DEFAULT_UTILIZATION = 70
_GPU_VM_PREFIX = "Standard_N"
_NAME_LIMIT = 32


def azure_openai(name: str, target: AzureOpenAITarget, ctx: DeployContext) -> AzureOpenAI:
    provisioned = target.capacity.mode == "provisioned"
    return AzureOpenAI(
        name,
        AzureOpenAIArgs(
            location=target.region,
            custom_subdomain=ctx.resource_name(name),
            model=target.model,
            model_version=target.model_version,
            # The deployment is named after the target: the router sends it as the model.
            deployment_name=name,
            sku=target.sku,
            capacity=(target.capacity.units or 0) if provisioned else target.tpm_thousands,
            # Keys stay disabled either way (local_auth off): public means Entra-only.
            public_network_access=target.public or target.network_access == "public_entra_only",
            tags=ctx.labels(name).tags(),
        ),
    )


def azure_ml(name: str, target: AzureMlTarget, ctx: DeployContext) -> AzureMlEndpoint:
    physical = _short(ctx.resource_name(name))
    return AzureMlEndpoint(
        name,
        AzureMlEndpointArgs(
            location=target.region,
            workspace_name=physical,
            endpoint_name=physical,
            model=target.model,
            instance_type=target.instance_type,
            auth=target.auth,
            min_instances=target.scaling.min,
            max_instances=target.scaling.max,
            target_utilization=int(target.scaling.target or DEFAULT_UTILIZATION),
            scale_metric="gpu" if target.instance_type.startswith(_GPU_VM_PREFIX) else "cpu",
            public_network_access=target.public or target.network_access == "public_entra_only",
            tags=ctx.labels(name).tags(),
        ),
    )


def container_app(name: str, target: ContainerAppTarget, ctx: DeployContext) -> ContainerAppService:
    run = container(target.model, target.serving, target.image)
    return ContainerAppService(
        name,
        ContainerAppServiceArgs(
            location=target.region,
            app_name=_short(ctx.resource_name(name)),
            image=run.image,
            port=run.port,
            args=run.args,
            env=run.env,
            health_path=run.health_path,
            model=target.model,
            openai_base_path=run.openai_base_path,
            cpu=target.cpu,
            memory_gib=target.memory_gib,
            gpu_profile=target.gpu_profile,
            min_replicas=target.scaling.min,
            max_replicas=target.scaling.max,
            concurrency=target.concurrency,
            external=target.public,
            tags=ctx.labels(name).tags(),
        ),
    )


def _short(name: str) -> str:
    """Azure ML endpoint and Container App names stop at 32 characters."""
    return name[:_NAME_LIMIT].rstrip("-")
