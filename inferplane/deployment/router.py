"""The stack's router: RouterConfig from the targets' outputs, on the spec's platform."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pulumi

from components.azure.azure_ml_endpoint import AzureMlEndpoint
from components.azure.azure_openai import AzureOpenAI
from components.azure.container_app_service import ContainerAppService
from components.base import TargetComponent
from components.kubernetes.model_server import ModelServer
from components.router import RouterService, RouterServiceArgs
from inferplane.deployment.azure import router_environment_target, stack_network
from inferplane.deployment.context import DeployContext
from inferplane.residency import PLACEMENT_RANK
from inferplane.routerconfig import render_router_config, router_data_classes

__all__ = ["LAMBDA_PACKAGE", "router"]

LAMBDA_PACKAGE = Path("build") / "router" / "router-lambda.zip"
"""Where ``inferplane package router --out build/router`` writes the Lambda zip."""


def router(targets: dict[str, TargetComponent], ctx: DeployContext) -> RouterService:
    spec, router_spec = ctx.spec, ctx.spec.router
    handled = router_data_classes(spec, ctx.provider_regions)
    endpoints = pulumi.Output.all(**{name: t.endpoint for name, t in targets.items()})
    config_json = endpoints.apply(
        lambda eps: render_router_config(spec, ctx.stack, eps, handled).to_json()
    )
    strictest = max(
        handled, key=lambda c: PLACEMENT_RANK[spec.data_classes[c].placement], default="none"
    )
    labels = ctx.base_labels.for_target("router", strictest)
    args = RouterServiceArgs(
        platform=router_spec.platform,
        config_json=config_json,
        labels=labels,
        region=router_spec.cloud_region(ctx.provider_regions),
        public=router_spec.public,
        replicas=router_spec.replicas,
        memory_mb=router_spec.memory_mb,
        name_prefix=ctx.resource_name("router"),
        image=router_spec.image,
    )
    return RouterService("router", _on_platform(args, targets, ctx))


def _on_platform(
    args: RouterServiceArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterServiceArgs:
    """``args`` completed with what the platform needs from the stack's targets."""
    spec, router_spec = ctx.spec, ctx.spec.router
    platform = router_spec.platform
    if platform == "lambda":
        aws_targets = [name for name in targets if spec.target(name).cloud == "aws"]
        arns = pulumi.Output.all(*[targets[name].invoke_arns for name in aws_targets])
        return replace(
            args,
            code=pulumi.FileArchive(str(LAMBDA_PACKAGE)),
            invoke_arns=arns.apply(lambda lists: sorted({a for arns in lists for a in arns}))
            if aws_targets
            else (),
        )
    if platform == "kubernetes":
        server = targets[str(router_spec.target)]
        assert isinstance(server, ModelServer)  # spec checks: target is a kubernetes target
        servers = [t for t in targets.values() if isinstance(t, ModelServer)]
        return replace(
            args,
            kubernetes_provider=server.provider,
            namespace=server.namespace,
            kubernetes_targets=[s.router_peer for s in servers],
            kubernetes_internet=len(servers) < len(targets),
        )
    if platform == "edge":
        site = targets[str(router_spec.target)]
        return replace(args, edge_url=site.endpoint.apply(lambda e: e["url"].removesuffix("/v1")))
    if platform == "container_app":
        assert args.region is not None  # the spec requires an Azure region for the router
        joined = router_environment_target(ctx)
        app = targets.get(joined) if joined else None
        return replace(
            args,
            container_app_environment=app.environment
            if isinstance(app, ContainerAppService)
            else None,
            azure_network=stack_network(ctx, args.region),
            # The router's managed identity gets every Azure target's published grants.
            azure_grants={
                name: target.azure_grants
                for name, target in targets.items()
                if isinstance(target, AzureOpenAI | AzureMlEndpoint) and target.azure_grants
            },
        )
    return args
