"""The stack's router: RouterConfig from the targets' outputs, on the spec's platform (one
``components.router`` class per platform, its Args completed from the stack's targets)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi

from inferplane.components.aws.gpu_fleet import GpuFleet
from inferplane.components.azure.azure_ml_endpoint import AzureMlEndpoint
from inferplane.components.azure.azure_openai import AzureOpenAI
from inferplane.components.azure.container_app_service import ContainerAppService
from inferplane.components.base import Labels, TargetComponent
from inferplane.components.kubernetes.manifests import IngressPeer
from inferplane.components.kubernetes.model_server import ModelServer
from inferplane.components.router import RouterArgs, RouterService
from inferplane.components.router.aws_lambda import LambdaRouter, LambdaRouterArgs, RouterVpc
from inferplane.components.router.container_app import ContainerAppRouter, ContainerAppRouterArgs
from inferplane.components.router.edge import EdgeRouter, EdgeRouterArgs
from inferplane.components.router.kubernetes import (
    EksCluster,
    KubernetesRouter,
    KubernetesRouterArgs,
)
from inferplane.components.wiring import Grant
from inferplane.deployment import router_secrets
from inferplane.deployment.azure import router_environment_target, stack_network
from inferplane.deployment.context import DeployContext, required
from inferplane.deployment.router_state import on_container_app, on_kubernetes, on_lambda
from inferplane.errors import Issue, SpecError
from inferplane.residency import PLACEMENT_RANK
from inferplane.routerconfig import render_router_config, router_data_classes
from inferplane.spec import StackSpec
from inferplane.spec.targets.aws import AwsTarget
from inferplane.spec.targets.selfhosted import KubernetesTarget
from inferplane.spec.wake import wakes

__all__ = ["LAMBDA_PACKAGE", "router"]

LAMBDA_PACKAGE = Path("build") / "router" / "router-lambda.zip"
"""Where ``inferplane package router --out build/router`` writes the Lambda zip."""

Hosting = Callable[[RouterArgs, dict[str, TargetComponent], DeployContext], RouterService]


def router(targets: dict[str, TargetComponent], ctx: DeployContext) -> RouterService:
    spec = ctx.spec
    handled = router_data_classes(spec, ctx.provider_regions)
    endpoints = pulumi.Output.all(**{name: t.endpoint for name, t in targets.items()})
    federation = None
    if spec.router.platform == "cloud_run":
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
    basis = RouterArgs(config_json=config_json, labels=_labels(ctx, handled))
    if federation is not None:
        from inferplane.deployment.gcp import router_on_cloud_run

        return router_on_cloud_run(basis, targets, ctx, federation)
    return _HOSTING[spec.router.platform](basis, targets, ctx)


def _labels(ctx: DeployContext, handled: tuple[str, ...]) -> Labels:
    classes = ctx.spec.data_classes
    strictest = max(handled, key=lambda c: PLACEMENT_RANK[classes[c].placement], default="none")
    return ctx.base_labels.for_target("router", strictest)


def _on_lambda(
    basis: RouterArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterService:
    router_spec = ctx.spec.router
    args = LambdaRouterArgs(
        config_json=basis.config_json,
        labels=basis.labels,
        memory_mb=router_spec.memory_mb,
        region=required(router_spec.cloud_region(ctx.provider_regions), "router.region", ctx),
        code=pulumi.FileArchive(str(LAMBDA_PACKAGE)),
        grants=_aws_grants(targets, ctx),
        vpc=_lambda_vpc(targets),
        public=router_spec.public,
        name_prefix=ctx.resource_name("router"),
    )
    args = router_secrets.on_lambda(args, ctx)
    return LambdaRouter("router", on_lambda(args, ctx))  # router.state


def _on_kubernetes(
    basis: RouterArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterService:
    spec, router_spec = ctx.spec, ctx.spec.router
    server = targets[str(router_spec.target)]
    beside = spec.target(str(router_spec.target))
    if not isinstance(server, ModelServer) or not isinstance(beside, KubernetesTarget):
        raise SpecError([Issue("router.target", "must name a kubernetes target")])
    servers = [t for t in targets.values() if isinstance(t, ModelServer)]
    args = KubernetesRouterArgs(
        config_json=basis.config_json,
        labels=basis.labels,
        memory_mb=router_spec.memory_mb,
        image=required(router_spec.image, "router.image", ctx),
        replicas=router_spec.replicas,
        provider=server.provider,
        namespace=server.namespace,
        targets=[s.router_peer for s in servers],
        scrapers=_wake_scrapers(spec),
        internet=len(servers) < len(targets),
        # AWS targets' grants go to an EKS Pod Identity role (docs/kubernetes.md).
        grants=_aws_grants(targets, ctx),
        eks=_eks(beside),
    )
    args = router_secrets.on_kubernetes(args, ctx)
    return KubernetesRouter("router", on_kubernetes(args, ctx))  # router.state


def _eks(target: KubernetesTarget) -> EksCluster | None:
    """The EKS cluster the target runs on (None off EKS, or without the cluster's name,
    which the router then refuses if it calls AWS targets)."""
    cluster = target.cluster
    if cluster.cloud != "aws" or cluster.name is None or cluster.region is None:
        return None
    return EksCluster(cluster.name, cluster.region)


def _on_edge(
    basis: RouterArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterService:
    site = targets[str(ctx.spec.router.target)]
    args = EdgeRouterArgs(
        config_json=basis.config_json,
        labels=basis.labels,
        url=site.endpoint.apply(lambda e: e["url"].removesuffix("/v1")),
        site=site.endpoint.apply(lambda e: e["reach"]["network"]),
    )
    return EdgeRouter("router", args)


def _on_container_app(
    basis: RouterArgs, targets: dict[str, TargetComponent], ctx: DeployContext
) -> RouterService:
    router_spec = ctx.spec.router
    region = required(router_spec.cloud_region(ctx.provider_regions), "router.region", ctx)
    joined = router_environment_target(ctx)
    app = targets.get(joined) if joined else None
    args = ContainerAppRouterArgs(
        config_json=basis.config_json,
        labels=basis.labels,
        memory_mb=router_spec.memory_mb,
        image=required(router_spec.image, "router.image", ctx),
        replicas=router_spec.replicas,
        region=region,
        managed_environment=app.environment if isinstance(app, ContainerAppService) else None,
        network=stack_network(ctx, region),
        # The router's managed identity gets every Azure target's published grants.
        grants={
            name: target.azure_grants
            for name, target in targets.items()
            if isinstance(target, AzureOpenAI | AzureMlEndpoint) and target.azure_grants
        },
        public=router_spec.public,
        name_prefix=ctx.resource_name("router"),
    )
    args = router_secrets.on_container_app(args, ctx)
    return ContainerAppRouter("router", on_container_app(args, ctx))  # router.state


_HOSTING: dict[str, Hosting] = {
    "lambda": _on_lambda,
    "container_app": _on_container_app,
    "kubernetes": _on_kubernetes,
    "edge": _on_edge,
}
"""The platforms whose router needs nothing before its config is rendered (Cloud Run's
does: ``deployment.gcp.router_on_cloud_run``)."""


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
