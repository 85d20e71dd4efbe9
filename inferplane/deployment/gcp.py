"""GCP target kinds -> components: ``vertex`` -> VertexEndpoint, ``cloud_run`` ->
CloudRunService (running the engine the ``serving`` block renders, or a ready image).

With the router on Cloud Run, private GCP targets are placed where it can reach them: one
stack VPC network (``stack_network``) that the router egresses into, which internal Cloud
Run services admit and where Vertex PSC endpoints get their forwarding rule."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pulumi

from inferplane.components.base import TargetComponent
from inferplane.components.container import Resources
from inferplane.components.gcp.cloud_run_service import (
    INVOKER_ROLE,
    CloudRunService,
    CloudRunServiceArgs,
    SecretEnv,
    VpcEgress,
)
from inferplane.components.gcp.network import VpcNetwork, VpcNetworkArgs
from inferplane.components.gcp.vertex_endpoint import (
    VERTEX_CALLER_ROLE,
    VertexEndpoint,
    VertexEndpointArgs,
)
from inferplane.components.router import RouterArgs
from inferplane.components.router.cloud_run import CloudRunRouter, CloudRunRouterArgs
from inferplane.deployment import router_secrets
from inferplane.deployment.container import container
from inferplane.deployment.context import DeployContext, required
from inferplane.deployment.router_state import on_cloud_run
from inferplane.errors import Issue, SpecError
from inferplane.spec.targets import CloudRunTarget, VertexTarget

if TYPE_CHECKING:
    from inferplane.deployment.federation import RouterFederation

__all__ = ["cloud_run", "router_on_cloud_run", "stack_network", "vertex"]

DEFAULT_UTILIZATION = 60
_NETWORK_KEY = "gcp-network"


def stack_network(ctx: DeployContext) -> VpcNetwork | None:
    """The stack's VPC network in the Cloud Run router's region (created once), or None
    when the router does not run on Cloud Run or ``gcp:project`` is unset."""
    router = ctx.spec.router
    project = pulumi.Config("gcp").get("project")
    region = router.cloud_region(ctx.provider_regions)
    if router.platform != "cloud_run" or project is None or region is None:
        return None
    found = ctx.shared.get(_NETWORK_KEY)
    if isinstance(found, VpcNetwork):
        return found
    name = re.sub(r"[^a-z0-9-]", "-", ctx.resource_name("vpc").lower()).strip("-")
    network = VpcNetwork(
        "gcp-network",
        VpcNetworkArgs(project=project, name=name, region=region, labels=ctx.router_labels().gcp()),
    )
    ctx.shared[_NETWORK_KEY] = network
    return network


def vertex(name: str, target: VertexTarget, ctx: DeployContext) -> VertexEndpoint:
    private = target.private and not target.public
    project = pulumi.Config("gcp").get("project")
    if private and project is None:
        raise SpecError(
            [Issue("gcp:project", f"target {name!r} is a private Vertex endpoint; set gcp:project")]
        )
    accelerator = target.accelerator
    # PSC automation puts the forwarding rule in a subnet of the endpoint's region.
    network = stack_network(ctx) if private else None
    psc_network = network.path if network and network.region == target.region else None
    return VertexEndpoint(
        name,
        VertexEndpointArgs(
            location=target.region,
            model=target.model,
            display_name=ctx.resource_name(name),
            deploy=target.model_deploy,
            machine_type=target.machine_type,
            accelerator_type=accelerator.type if accelerator else None,
            accelerator_count=accelerator.count if accelerator else None,
            min_replicas=target.scaling.min,
            max_replicas=target.scaling.max,
            target_utilization=int(target.scaling.target or DEFAULT_UTILIZATION),
            spot=target.spot,
            accept_eula=target.accept_eula,
            hugging_face_token=pulumi.Config("inferplane").get_secret("huggingFaceToken"),
            private=private,
            psc_projects=(project,) if private and project else (),
            psc_network=psc_network,
            kms_key=target.kms_key,
            project=project,
            labels=ctx.labels(name).gcp(),
        ),
    )


def cloud_run(name: str, target: CloudRunTarget, ctx: DeployContext) -> CloudRunService:
    resources = Resources(cpu=target.cpu, memory_gib=target.memory_gib)
    network = None if target.public else stack_network(ctx)
    return CloudRunService(
        name,
        CloudRunServiceArgs(
            location=target.region,
            service_name=ctx.resource_name(name),
            container=container(target.model, target.serving, target.image, resources),
            model=target.model,
            gpu=target.gpu.type if target.gpu else None,
            min_instances=target.scaling.min,
            max_instances=target.scaling.max,
            concurrency=target.concurrency,
            ingress="all" if target.public else target.ingress,
            public=target.public,
            invokers=target.invokers,
            secret_env=(
                {"HF_TOKEN": SecretEnv(target.hf_token_secret)} if target.hf_token_secret else {}
            ),
            network=network.path if network else None,
            project=pulumi.Config("gcp").get("project"),
            labels=ctx.labels(name).gcp(),
        ),
    )


def router_on_cloud_run(
    basis: RouterArgs,
    targets: dict[str, TargetComponent],
    ctx: DeployContext,
    federation: RouterFederation,
) -> CloudRunRouter:
    """The Cloud Run router placed where it reaches its targets and granted what they need:
    its own service account, Direct VPC egress into the stack network when a target is
    reached only inside it (plus Cloud NAT when others are on the internet), an IAM member
    per GCP target grant, and the identities it federates into."""
    router_spec = ctx.spec.router
    network = stack_network(ctx)
    args = CloudRunRouterArgs(
        config_json=basis.config_json,
        labels=basis.labels,
        memory_mb=router_spec.memory_mb,
        image=required(router_spec.image, "router.image", ctx),
        replicas=router_spec.replicas,
        region=required(router_spec.cloud_region(ctx.provider_regions), "router.region", ctx),
        service_account=federation.email,
        vpc_egress=_router_egress(targets, network),
        internet=network.internet if network is not None else True,
        grants=[grant for t in targets.values() for grant in _gcp_grants(t)],
        federated_identities=federation.identities,
        public=router_spec.public,
        name_prefix=ctx.resource_name("router"),
    )
    args = router_secrets.on_cloud_run(args, ctx)
    return CloudRunRouter("router", on_cloud_run(args, ctx))  # router.state


def _router_egress(
    targets: dict[str, TargetComponent], network: VpcNetwork | None
) -> VpcEgress | None:
    """Direct VPC egress into the stack network when a target is reached only inside it;
    Cloud NAT added when the others are reached over the internet."""
    inside = [
        t
        for t in targets.values()
        if isinstance(t, CloudRunService | VertexEndpoint) and t.reach["path"] in ("vpc", "psc")
    ]
    if network is None or not any(t.reach.get("network") == network.path for t in inside):
        return None
    if len(inside) < len(targets):  # the others are reached over the internet
        network.add_internet_egress()
    return VpcEgress(network.path, network.subnetwork_path)


def _gcp_grants(target: TargetComponent) -> list[tuple[str, pulumi.Output[str]]]:
    """(role, resource) of the target's GCP grant: the role picks the IAM resource type
    before deployment, the resource comes from the published grant."""
    role = {CloudRunService: INVOKER_ROLE, VertexEndpoint: VERTEX_CALLER_ROLE}.get(type(target))
    if role is None:
        return []
    resource = target.endpoint.apply(
        lambda e: next(
            g["resources"][0]
            for g in e.get("grants", [])
            if g["cloud"] == "gcp" and g["actions"] == [role]
        )
    )
    return [(role, resource)]
