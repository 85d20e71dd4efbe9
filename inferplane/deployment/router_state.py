"""The router's managed state: a Redis in its network when more than one replica may run.

``router.state`` (``auto`` by default) provisions, for a router on

    lambda          ElastiCache Serverless in the router's VPC (the GPU fleets' VPC, else
                    a new private network): components/aws/router_state.py
    cloud_run       Memorystore by private services access in the stack network, the
                    router egressing into it: components/gcp/router_state.py
    container_app   Azure Cache for Redis behind a private endpoint in the stack VNet:
                    components/azure/router_state.py

and renders ``state: {backend: redis, url: <secret reference>}`` into the RouterConfig.
The URL (with its password) is read by the router with its own identity from the
cloud's secret store (AWS Secrets Manager, GCP Secret Manager), or arrives as a Container
Apps secret in one environment variable; it never enters the RouterConfig.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pulumi

from inferplane.components.router import RouterServiceArgs, RouterVpc
from inferplane.deployment.context import DeployContext
from inferplane.errors import Issue, SpecError
from inferplane.router.config import RouterConfig, SecretRef, StateConfig

__all__ = ["STATE_URL_ENV", "with_managed_state"]

STATE_URL_ENV = "INFERPLANE_ROUTER_STATE_URL"
"""Container Apps: the environment variable (a Container Apps secret) with the URL."""

State = pulumi.Output[StateConfig]


def with_managed_state(args: RouterServiceArgs, ctx: DeployContext) -> RouterServiceArgs:
    """``args`` with the managed Redis provisioned and its URL in the RouterConfig, when
    the spec asks for one (``RouterSpec.managed_state``); else ``args`` unchanged."""
    if not ctx.spec.router.managed_state():
        return args
    provision = {"lambda": _on_aws, "cloud_run": _on_gcp, "container_app": _on_azure}
    args, state = provision[args.platform](args, ctx)
    config = pulumi.Output.all(args.config_json, state).apply(lambda p: _with_state(*p))
    return replace(args, config_json=config)


def _with_state(config_json: str, state: StateConfig) -> str:
    return RouterConfig.from_json(config_json).model_copy(update={"state": state}).to_json()


def _name(ctx: DeployContext, limit: int) -> str:
    """A physical name every cloud's cache accepts: lower-case letters, digits, hyphens."""
    name = re.sub(r"[^a-z0-9-]+", "-", ctx.resource_name("state").lower())
    return name[:limit].strip("-")


def _on_aws(args: RouterServiceArgs, ctx: DeployContext) -> tuple[RouterServiceArgs, State]:
    from inferplane.components.aws.network import PrivateNetwork, PrivateNetworkArgs
    from inferplane.components.aws.router_state import AwsRouterState, AwsRouterStateArgs

    assert args.region is not None  # a Lambda router has its region
    vpc = args.vpc
    if vpc is None:  # no GPU fleet's VPC to join: the router gets its own private network
        network = PrivateNetwork(
            "router-network", PrivateNetworkArgs(region=args.region, labels=args.labels)
        )
        vpc = RouterVpc(vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids)
    state = AwsRouterState(
        "router-state",
        AwsRouterStateArgs(
            region=args.region,
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.subnet_ids,
            labels=args.labels,
            name_prefix=_name(ctx, 30),
        ),
    )
    vpc = replace(vpc, security_group_ids=(*vpc.security_group_ids, state.client_security_group_id))
    grants = pulumi.Output.all(args.grants, state.grant()).apply(lambda p: [*p[0], p[1]])
    config = state.secret_arn.apply(
        lambda arn: StateConfig(
            backend="redis", url=SecretRef(store="aws_secretsmanager", name=arn, key="url")
        )
    )
    return replace(args, vpc=vpc, grants=grants), config


def _on_gcp(args: RouterServiceArgs, ctx: DeployContext) -> tuple[RouterServiceArgs, State]:
    from inferplane.components.gcp.router_state import GcpRouterState, GcpRouterStateArgs
    from inferplane.deployment.gcp import stack_network

    network = stack_network(ctx)
    project = pulumi.Config("gcp").get("project")
    reader = args.service_account  # created first, for federation (deployment.federation)
    region = args.region
    if network is None or project is None or reader is None or region is None:
        raise SpecError(
            [
                Issue(
                    "gcp:project",
                    "the Cloud Run router's managed Memorystore (router.state) lives in the "
                    "stack network of gcp:project; set gcp:project, or name a Redis with "
                    "router.redis",
                )
            ]
        )
    if args.gcp_vpc_egress is None:
        # The router now egresses into the network; its other targets through Cloud NAT.
        network.add_internet_egress()
        args = replace(
            args, gcp_vpc_egress=(network.path, network.subnetwork_path), gcp_internet=True
        )
    state = GcpRouterState(
        "router-state",
        GcpRouterStateArgs(
            project=project,
            region=region,
            network=network.path,
            reader=reader,
            labels=args.labels.gcp(),
            name=_name(ctx, 40),
        ),
    )
    secret = state.secret_name
    config = StateConfig(
        backend="redis",
        url=SecretRef(store="gcp_secretmanager", name=secret, key="url"),
        ca=SecretRef(store="gcp_secretmanager", name=secret, key="ca"),
    )
    return args, pulumi.Output.from_input(config)


def _on_azure(args: RouterServiceArgs, ctx: DeployContext) -> tuple[RouterServiceArgs, State]:
    from inferplane.components.azure.network import AzureNetwork
    from inferplane.components.azure.router_state import AzureRouterState, AzureRouterStateArgs

    network = args.azure_network
    assert isinstance(network, AzureNetwork)  # the container_app platform always has one
    state = AzureRouterState(
        "router-state",
        AzureRouterStateArgs(network=network, name=_name(ctx, 63), tags=args.labels.tags()),
    )
    secrets = {**args.secret_environment, STATE_URL_ENV: state.url}
    config = StateConfig(backend="redis", url=SecretRef(store="env", name=STATE_URL_ENV))
    return replace(args, secret_environment=secrets), pulumi.Output.from_input(config)
