"""The router's managed state: a Redis in its network when more than one replica may run.

``router.state`` (``auto`` by default) provisions, for a router on

    lambda          ElastiCache Serverless in the router's VPC (the GPU fleets' VPC, else
                    a new private network): components/aws/router_state.py
    cloud_run       Memorystore by private services access in the stack network, the
                    router egressing into it: components/gcp/router_state.py
    container_app   Azure Cache for Redis behind a private endpoint in the stack VNet:
                    components/azure/router_state.py
    kubernetes      (on EKS) ElastiCache Serverless in the cluster's VPC, admitting the
                    cluster security group its nodes carry; the router's NetworkPolicy
                    reaches the VPC's ranges on the cache ports

and renders ``state: {backend: redis, url: <secret reference>}`` into the RouterConfig
(``on_lambda``, ``on_cloud_run``, ``on_container_app``, ``on_kubernetes``: each
platform's hosting passes its Args through before it builds the router).
The URL (with its password) is read by the router with its own identity from the
cloud's secret store (AWS Secrets Manager, GCP Secret Manager; on EKS through its Pod
Identity role), or arrives as a Container Apps secret in one environment variable; it
never enters the RouterConfig.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import pulumi

from inferplane.components.router import RouterArgs
from inferplane.components.wiring import Grant
from inferplane.deployment.context import DeployContext
from inferplane.errors import Issue, SpecError
from inferplane.router.config import RouterConfig, SecretRef, StateConfig

if TYPE_CHECKING:
    from inferplane.components.aws.router_state import AwsRouterState
    from inferplane.components.router.aws_lambda import LambdaRouterArgs
    from inferplane.components.router.cloud_run import CloudRunRouterArgs
    from inferplane.components.router.container_app import ContainerAppRouterArgs
    from inferplane.components.router.kubernetes import KubernetesRouterArgs

__all__ = ["STATE_URL_ENV", "on_cloud_run", "on_container_app", "on_kubernetes", "on_lambda"]

STATE_URL_ENV = "INFERPLANE_ROUTER_STATE_URL"
"""Container Apps: the environment variable (a Container Apps secret) with the URL."""

Args = TypeVar("Args", bound=RouterArgs)


def _with_state(args: Args, state: pulumi.Input[StateConfig]) -> Args:
    """``args`` whose RouterConfig keeps its state in the provisioned Redis."""
    config = pulumi.Output.all(args.config_json, state).apply(
        lambda p: RouterConfig.from_json(p[0]).model_copy(update={"state": p[1]}).to_json()
    )
    return replace(args, config_json=config)


def _name(ctx: DeployContext, limit: int) -> str:
    """A physical name every cloud's cache accepts: lower-case letters, digits, hyphens."""
    name = re.sub(r"[^a-z0-9-]+", "-", ctx.resource_name("state").lower())
    return name[:limit].strip("-")


def on_lambda(args: LambdaRouterArgs, ctx: DeployContext) -> LambdaRouterArgs:
    """ElastiCache Serverless in the router's VPC (a new private network when it has
    none), its client group on the router's ENIs, the URL's secret granted to its role."""
    if not ctx.spec.router.managed_state():
        return args
    from inferplane.components.aws.network import PrivateNetwork, PrivateNetworkArgs
    from inferplane.components.aws.router_state import AwsRouterState, AwsRouterStateArgs
    from inferplane.components.router.aws_lambda import RouterVpc

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
    return _with_aws_state(replace(args, vpc=vpc, grants=_granted(args, state)), state)


AwsArgs = TypeVar("AwsArgs", "LambdaRouterArgs", "KubernetesRouterArgs")


def _granted(args: AwsArgs, state: AwsRouterState) -> pulumi.Output[list[Grant]]:
    """The router's grants and reading the state's secret."""
    return pulumi.Output.all(args.grants, state.grant()).apply(lambda p: [*p[0], p[1]])


def _with_aws_state(args: AwsArgs, state: AwsRouterState) -> AwsArgs:
    """``args`` reading the state's URL from its Secrets Manager secret."""
    config = state.secret_arn.apply(
        lambda arn: StateConfig(
            backend="redis", url=SecretRef(store="aws_secretsmanager", name=arn, key="url")
        )
    )
    return _with_state(args, config)


def on_kubernetes(args: KubernetesRouterArgs, ctx: DeployContext) -> KubernetesRouterArgs:
    """On EKS: ElastiCache Serverless in the cluster's VPC and subnets, admitting the
    cluster security group (what EKS attaches to its nodes, so what a pod's traffic
    carries: security groups for pods are off unless the VPC CNI enables them, and a
    SecurityGroupPolicy is then silently ignored); the router's NetworkPolicy reaches the
    VPC's ranges on the cache ports only, and its Pod Identity role reads the URL's
    secret. Off EKS, ``state: managed`` is refused (name a Redis with ``router.redis``)."""
    if not ctx.spec.router.managed_state():
        return args
    if args.eks is None:
        _refuse_managed_off_eks(ctx)
        return args  # auto off EKS: IP-SAF-013 asks a prod router for router.redis
    from inferplane.components.aws.eks_vpc import eks_vpc
    from inferplane.components.aws.router_state import (
        STATE_PORTS,
        AwsRouterState,
        AwsRouterStateArgs,
    )
    from inferplane.components.kubernetes.workload_spec import CidrEgress

    cluster = eks_vpc(args.eks.name, args.eks.region)
    state = AwsRouterState(
        "router-state",
        AwsRouterStateArgs(
            region=args.eks.region,
            vpc_id=cluster.vpc_id,
            subnet_ids=cluster.subnet_ids,
            labels=args.labels,
            name_prefix=_name(ctx, 30),
            client_security_group_id=cluster.node_security_group_id,
        ),
    )
    # Secrets Manager is an AWS API: the router reaches it over HTTPS.
    reach = CidrEgress(cidrs=cluster.cidrs, ports=STATE_PORTS)
    args = replace(args, state=reach, internet=True, grants=_granted(args, state))
    return _with_aws_state(args, state)


def _refuse_managed_off_eks(ctx: DeployContext) -> None:
    if ctx.spec.router.state == "managed":
        raise SpecError(
            [
                Issue(
                    "router.state",
                    "'managed' on Kubernetes provisions ElastiCache in an EKS cluster's VPC, "
                    "but the router's target names no EKS cluster (cluster: {cloud: aws, "
                    "region, name}); allowed off EKS: auto or memory, or name a Redis with "
                    "router.redis",
                )
            ]
        )


def on_cloud_run(args: CloudRunRouterArgs, ctx: DeployContext) -> CloudRunRouterArgs:
    """Memorystore by private services access in the stack network, the router egressing
    into it, the secret with its URL and CA readable by the router's account only."""
    if not ctx.spec.router.managed_state():
        return args
    from inferplane.components.gcp.cloud_run_service import VpcEgress
    from inferplane.components.gcp.router_state import GcpRouterState, GcpRouterStateArgs
    from inferplane.deployment.gcp import stack_network

    network = stack_network(ctx)
    project = pulumi.Config("gcp").get("project")
    reader = args.service_account  # created first, for federation (deployment.federation)
    if network is None or project is None or reader is None:
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
    if args.vpc_egress is None:
        # The router now egresses into the network; its other targets through Cloud NAT.
        network.add_internet_egress()
        egress = VpcEgress(network.path, network.subnetwork_path)
        args = replace(args, vpc_egress=egress, internet=True)
    state = GcpRouterState(
        "router-state",
        GcpRouterStateArgs(
            project=project,
            region=args.region,
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
    return _with_state(args, config)


def on_container_app(args: ContainerAppRouterArgs, ctx: DeployContext) -> ContainerAppRouterArgs:
    """Azure Cache for Redis behind a private endpoint in the stack VNet, its URL a
    Container Apps secret in one environment variable."""
    if not ctx.spec.router.managed_state():
        return args
    from inferplane.components.azure.router_state import AzureRouterState, AzureRouterStateArgs

    network = args.network
    if network is None:
        raise SpecError(
            [Issue("router", "the Container Apps router's managed Redis needs the stack VNet")]
        )
    state = AzureRouterState(
        "router-state",
        AzureRouterStateArgs(network=network, name=_name(ctx, 63), tags=args.labels.tags()),
    )
    secrets = {**args.secret_environment, STATE_URL_ENV: state.url}
    config = StateConfig(backend="redis", url=SecretRef(store="env", name=STATE_URL_ENV))
    return _with_state(replace(args, secret_environment=secrets), config)
