"""Azure target kinds -> components: ``azure_openai`` -> AzureOpenAI, ``azure_ml`` ->
AzureMlEndpoint, ``container_app`` -> ContainerAppService (running the engine the
``serving`` block renders, or a ready image).

The stack's Azure network (``stack_network``): one VNet, in the router's region when the
router runs on Container Apps, holding the router's environment and the private endpoints
of every Azure OpenAI / Azure ML target with public access off (Private Link crosses
regions, so targets in other regions need no second VNet or peering). The container_app
target whose environment the router joins (``router_environment_target``) gets the VNet's
apps subnet, so the router and that app share one VNet-integrated environment.
"""

from __future__ import annotations

from inferplane.components.azure.azure_ml_endpoint import AzureMlEndpoint, AzureMlEndpointArgs
from inferplane.components.azure.azure_openai import AzureOpenAI, AzureOpenAIArgs
from inferplane.components.azure.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
    KeyVaultSecret,
)
from inferplane.components.azure.network import AzureNetwork, AzureNetworkArgs
from inferplane.components.container import Resources
from inferplane.deployment.container import container
from inferplane.deployment.context import DeployContext
from inferplane.residency import PLACEMENT_RANK
from inferplane.routerconfig import router_data_classes
from inferplane.spec.targets import AzureMlTarget, AzureOpenAITarget, ContainerAppTarget

__all__ = [
    "azure_ml",
    "azure_openai",
    "container_app",
    "router_environment_target",
    "stack_network",
]

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
            public_network_access=_public(target),
            private_network=None if _public(target) else stack_network(ctx, target.region),
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
            public_network_access=_public(target),
            private_network=None if _public(target) else stack_network(ctx, target.region),
            tags=ctx.labels(name).tags(),
        ),
    )


def container_app(name: str, target: ContainerAppTarget, ctx: DeployContext) -> ContainerAppService:
    resources = Resources(cpu=target.cpu, memory_gib=target.memory_gib)
    # The router joins this app's environment: make it VNet-integrated in the stack's VNet.
    joined = router_environment_target(ctx) == name
    network = stack_network(ctx, target.region) if joined else None
    return ContainerAppService(
        name,
        ContainerAppServiceArgs(
            location=target.region,
            app_name=_short(ctx.resource_name(name)),
            container=container(target.model, target.serving, target.image, resources),
            model=target.model,
            gpu_profile=target.gpu_profile,
            min_replicas=target.scaling.min,
            max_replicas=target.scaling.max,
            concurrency=target.concurrency,
            external=target.public,
            key_vault_env=(
                {"HF_TOKEN": KeyVaultSecret(secret.vault_id, secret.name)}
                if (secret := target.hf_token_secret) is not None
                else {}
            ),
            infrastructure_subnet_id=network.apps_subnet_id if network is not None else None,
            internal_environment=network is not None and not ctx.spec.router.public,
            tags=ctx.labels(name).tags(),
        ),
    )


def router_environment_target(ctx: DeployContext) -> str | None:
    """The container_app target whose managed environment a Container Apps router joins
    (internal ingress only reaches apps in the same environment): ``router.target`` if it
    is a container_app target in the router's region, else the first such target."""
    router_spec = ctx.spec.router
    if router_spec.platform != "container_app":
        return None
    region = router_spec.cloud_region(ctx.provider_regions)
    candidates = [
        name
        for name, target in ctx.spec.targets.items()
        if isinstance(target, ContainerAppTarget) and target.region == region
    ]
    if router_spec.target in candidates:
        return router_spec.target
    return next(iter(candidates), None)


_NETWORKS: dict[int, tuple[DeployContext, AzureNetwork]] = {}
"""One network per deployment (keyed by the context's identity; the context is kept so
its ID is never reused)."""


def stack_network(ctx: DeployContext, fallback_region: str) -> AzureNetwork:
    """The stack's Azure VNet, created on first use: in the router's region when the
    router runs on Container Apps, else in ``fallback_region`` (the first private
    target's region)."""
    known = _NETWORKS.get(id(ctx))
    if known is not None:
        return known[1]
    router_spec = ctx.spec.router
    region = (
        router_spec.cloud_region(ctx.provider_regions)
        if router_spec.platform == "container_app"
        else None
    ) or fallback_region
    spec = ctx.spec
    rank = {name: PLACEMENT_RANK[c.placement] for name, c in spec.data_classes.items()}
    # The VNet carries the router's traffic: tagged with the strictest class it handles.
    # The private DNS zones (location "global") hold only the endpoints' A records, never
    # a prompt: tagged with the least strict class.
    carried = router_data_classes(spec, ctx.provider_regions) or tuple(rank)
    network = AzureNetwork(
        "azure-network",
        AzureNetworkArgs(
            location=region,
            tags=ctx.base_labels.for_target("network", max(carried, key=rank.__getitem__)).tags(),
            zone_tags=ctx.base_labels.for_target("network", min(rank, key=rank.__getitem__)).tags(),
        ),
    )
    _NETWORKS[id(ctx)] = (ctx, network)
    return network


def _public(target: AzureOpenAITarget | AzureMlTarget) -> bool:
    """Reached from the internet (with Entra auth): declared public, or opened for a
    router in another cloud (``network_access: public_entra_only``)."""
    return target.public or target.network_access == "public_entra_only"


def _short(name: str) -> str:
    """Azure ML endpoint and Container App names stop at 32 characters."""
    return name[:_NAME_LIMIT].rstrip("-")
