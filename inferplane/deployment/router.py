"""The stack's router: RouterConfig from the targets' outputs, on the spec's platform."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pulumi

from inferplane.components.aws.gpu_fleet import GpuFleet
from inferplane.components.azure.azure_ml_endpoint import AzureMlEndpoint
from inferplane.components.azure.azure_openai import AzureOpenAI
from inferplane.components.azure.container_app_service import ContainerAppService
from inferplane.components.base import TargetComponent
from inferplane.components.kubernetes.model_server import ModelServer
from inferplane.components.kubernetes.objects import IngressPeer
from inferplane.components.router import RouterService, RouterServiceArgs, RouterVpc
from inferplane.components.wiring import Grant
from inferplane.deployment.azure import router_environment_target, stack_network
from inferplane.deployment.context import DeployContext
from inferplane.deployment.router_state import with_managed_state
from inferplane.residency import PLACEMENT_RANK
from inferplane.routerconfig import render_router_config, router_data_classes
from inferplane.spec import StackSpec
from inferplane.spec.targets.aws import AwsTarget
from inferplane.spec.targets.selfhosted import KubernetesTarget
from inferplane.spec.wake import wakes

__all__ = ["LAMBDA_PACKAGE", "router"]

LAMBDA_PACKAGE = Path("build") / "router" / "router-lambda.zip"
"""Where ``inferplane package router --out build/router`` writes the Lambda zip."""


def router(targets: dict[str, TargetComponent], ctx: DeployContext) -> RouterService:
    spec, router_spec = ctx.spec, ctx.spec.router
    handled = router_data_classes(spec, ctx.provider_regions)
    endpoints = pulumi.Output.all(**{name: t.endpoint for name, t in targets.items()})
    federation = None
    if router_spec.platform == "cloud_run":
        # Its service account exists first, so other clouds can trust it and the
        # cross-cloud targets' auth names the identities it federates into.
        from inferplane.deployment.federation import federate

        federation = found = federate(targets, ctx)
        if found.auth:
            endpoints = pulumi.Output.all(endpoints, pulumi.Output.all(**found.auth)).apply(
                lambda parts: found.endpoints(parts[0], parts[1])
            )
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
    if federation is not None:
        from inferplane.deployment.gcp import router_on_cloud_run

        args = router_on_cloud_run(args, targets, ctx, federation)
    args = with_managed_state(_on_platform(args, targets, ctx), ctx)  # router.state
    return RouterService("router", args)


def _on_platform(
    args: RouterServiceArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterServiceArgs:
    """``args`` completed with what the platform needs from the stack's targets."""
    spec, router_spec = ctx.spec, ctx.spec.router
    platform = router_spec.platform
    if platform == "lambda":
        return replace(
            args,
            code=pulumi.FileArchive(str(LAMBDA_PACKAGE)),
            grants=_aws_grants(targets, ctx),
            vpc=_lambda_vpc(targets),
        )
    if platform == "kubernetes":
        server = targets[str(router_spec.target)]
        assert isinstance(server, ModelServer)  # spec checks: target is a kubernetes target
        servers = [t for t in targets.values() if isinstance(t, ModelServer)]
        beside = spec.target(str(router_spec.target))
        assert isinstance(beside, KubernetesTarget)
        cluster = beside.cluster
        return replace(
            args,
            # AWS targets' grants go to an EKS Pod Identity role (docs/kubernetes.md).
            grants=_aws_grants(targets, ctx),
            eks_cluster=cluster.name if cluster.cloud == "aws" else None,
            region=cluster.region,
            kubernetes_provider=server.provider,
            namespace=server.namespace,
            kubernetes_targets=[s.router_peer for s in servers],
            kubernetes_scrapers=_wake_scrapers(spec),
            kubernetes_internet=len(servers) < len(targets),
        )
    if platform == "edge":
        site = targets[str(router_spec.target)]
        return replace(
            args,
            edge_url=site.endpoint.apply(lambda e: e["url"].removesuffix("/v1")),
            edge_site=site.endpoint.apply(lambda e: e["reach"]["network"]),
        )
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


def _aws_grants(
    targets: dict[str, TargetComponent], ctx: DeployContext
) -> pulumi.Output[list[Grant]] | tuple[()]:
    """The AWS grants the AWS targets publish; statically empty without AWS targets."""
    # AWS services (not a model server on an EKS cluster: it publishes no grants).
    aws_targets = [name for name in targets if isinstance(ctx.spec.target(name), AwsTarget)]
    if not aws_targets:
        return ()
    endpoints = pulumi.Output.all(*[targets[name].endpoint for name in aws_targets])
    return endpoints.apply(
        lambda eps: [g for e in eps for g in e.get("grants", []) if g["cloud"] == "aws"]
    )


def _lambda_vpc(targets: dict[str, TargetComponent]) -> RouterVpc | None:
    """The VPC a Lambda router must join: that of the GPU fleets it routes to (their ALBs
    are internal), or None when every target is reachable from outside a VPC."""
    fleets = {name: t for name, t in targets.items() if isinstance(t, GpuFleet)}
    if not fleets:
        return None
    # spec.checks refuses fleets outside the router's region or in different VPCs.
    first = fleets[min(fleets)]
    return RouterVpc(
        vpc_id=first.vpc_id,
        subnet_ids=first.subnet_ids,
        peers=tuple(fleets[name] for name in sorted(fleets)),
        internet=True,  # the fleet's private subnets route out through NAT
    )


def _wake_scrapers(spec: StackSpec) -> list[IngressPeer]:
    """The Prometheus of every scaled-to-zero server: it reads the router's demand for it
    on the operator port (inferplane.spec.wake)."""
    peers: list[IngressPeer] = []
    for wake in wakes(spec):
        peer = IngressPeer(wake.scraper_namespace, wake.scraper_labels)
        if peer not in peers:
            peers.append(peer)
    return peers
