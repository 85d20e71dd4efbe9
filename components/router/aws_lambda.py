"""The router on AWS Lambda: a function URL with AWS_IAM auth running the router's zip,
streamed through the AWS Lambda Web Adapter layer (``components/aws/web_adapter.py``:
the zip's ``run.sh`` starts the same aiohttp server as every platform, behind a
RESPONSE_STREAM URL), its role allowed exactly the AWS targets' grants. With a ``vpc`` it
runs in that VPC's private subnets with a security group each peer (a GPU fleet's
internal ALB) admits, and reaches AWS APIs and function URLs through the subnets' NAT
gateways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import pulumi

from inferplane.components.router.aws_policy import invoke_policy
from inferplane.components.router.service import HEALTH_PATH, RouterRuntimeArgs, RouterService
from inferplane.components.wiring import Grant, RouterIdentity, RouterNetwork
from inferplane.router.contract import ROUTER_PORT

if TYPE_CHECKING:
    from inferplane.components.aws.lambda_function import LambdaFunction, LambdaVpc

__all__ = ["LambdaRouter", "LambdaRouterArgs", "RouterVpc", "VpcPeer", "function_entry"]


def function_entry() -> tuple[str, dict[str, str]]:
    """The function's handler and the adapter's environment: the zip's ``run.sh`` under the
    Lambda Web Adapter layer, ready when ``HEALTH_PATH`` on ``ROUTER_PORT`` answers. One
    definition: ``inferplane router smoke`` runs the zip with the same."""
    from inferplane.components.aws import web_adapter

    return web_adapter.RUN_SCRIPT, web_adapter.adapter_environment(ROUTER_PORT, HEALTH_PATH)


class VpcPeer(Protocol):
    """A load-balanced target in the router's VPC that admits it by security group (a
    GpuFleet)."""

    listener_port: int
    alb_security_group_id: pulumi.Output[str]

    def admit(
        self, name: str, security_group_id: pulumi.Input[str], parent: pulumi.Resource
    ) -> pulumi.Resource: ...


@dataclass(frozen=True)
class RouterVpc:
    """Where a Lambda router runs when a target is reachable only inside a VPC."""

    vpc_id: pulumi.Input[str]
    """The VPC of the targets it must reach."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets whose default route is a NAT gateway."""
    peers: tuple[VpcPeer, ...] = ()
    """Targets that admit the router's security group on their listener port."""
    internet: bool = True
    """The subnets route to the internet through NAT (AWS APIs, function URLs)."""
    interface_endpoints: tuple[str, ...] = ()
    """Interface endpoint services in the VPC (``bedrock-runtime``...), if any."""
    security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """More groups the router's ENIs carry (its managed state's client group)."""


@dataclass(frozen=True, kw_only=True)
class LambdaRouterArgs(RouterRuntimeArgs):
    """The router as a Lambda function behind an IAM-authenticated function URL."""

    region: str
    """AWS region of the function."""
    code: pulumi.Archive
    """The router's Lambda deployment package (``inferplane package router``)."""
    architecture: Literal["x86_64", "arm64"] = "arm64"
    """Lambda instruction set; the package's native wheels must match."""
    grants: pulumi.Input[Sequence[Grant]] = ()
    """The AWS targets' wiring grants: what the router's role may call."""
    vpc: RouterVpc | None = None
    """Run inside this VPC (a target is reachable only there)."""
    public: bool = False
    """Serve the function URL without IAM auth (API keys still apply)."""
    name_prefix: str = "router"
    """Physical-name prefix."""


class LambdaRouter(RouterService):
    """The stack's router on AWS Lambda."""

    function_name: pulumi.Output[str]
    """The Lambda function's name: ``inferplane verify`` checks it."""

    def __init__(
        self, name: str, args: LambdaRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda", name, args, opts)
        placement = None
        if args.vpc is not None:
            placement = self._vpc_placement(name, args.vpc, args)
            self.network = _vpc_network(args.vpc)
        function = self._function(name, args, placement)
        self.function_name = function.function_name
        if args.grants:  # statically empty when the stack has no AWS targets
            self._allow_grants(name, function.role_name, args.grants)
        self.identity = function.role_arn.apply(
            lambda arn: [RouterIdentity(cloud="aws", principal=arn)]
        )
        self.finish(function.function_url)

    def _function(
        self, name: str, args: LambdaRouterArgs, placement: LambdaVpc | None
    ) -> LambdaFunction:
        from inferplane.components.aws import web_adapter
        from inferplane.components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs

        handler, adapter = function_entry()
        return LambdaFunction(
            f"{name}-fn",
            LambdaFunctionArgs(
                region=args.region,
                code=args.code,
                # The same aiohttp server as elsewhere, streamed by the adapter layer.
                handler=handler,
                layers=(web_adapter.layer_arn(args.region, args.architecture),),
                invoke_mode="RESPONSE_STREAM",
                labels=args.labels,
                name_prefix=args.name_prefix,
                architecture=args.architecture,
                environment={**self.environment(args), **adapter},
                memory_mb=args.memory_mb,
                timeout_s=900,
                # One request per execution environment: capping concurrency would queue
                # clients, so the router scales with requests (share state via Redis).
                reserved_concurrency=None,
                public=args.public,
                vpc=placement,
                description="inferplane router: OpenAI-compatible, residency-aware",
            ),
            opts=self.child(),
        )

    def _allow_grants(
        self, name: str, role: pulumi.Input[str], grants: pulumi.Input[Sequence[Grant]]
    ) -> None:
        import pulumi_aws as aws

        aws.iam.RolePolicy(
            f"{name}-invoke", role=role, policy=invoke_policy(grants), opts=self.child()
        )

    def _vpc_placement(self, name: str, vpc: RouterVpc, args: LambdaRouterArgs) -> LambdaVpc:
        """A security group for the router's ENIs in ``vpc``: out to each peer's listener
        (which admits it) and to HTTPS anywhere (AWS APIs and function URLs, through NAT);
        nothing in."""
        import pulumi_aws as aws

        from inferplane.components.aws.lambda_function import LambdaVpc

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="inferplane router (Lambda ENIs)",
            vpc_id=vpc.vpc_id,
            region=args.region,
            tags=args.labels.tags(),
            opts=self.child(),
        )
        egress: list[tuple[str, int, dict[str, pulumi.Input[str]]]] = [
            ("https", 443, {"cidr_ipv4": "0.0.0.0/0"})
        ]
        for index, peer in enumerate(vpc.peers):
            peer.admit(f"{name}-admitted-{index}", group.id, self)
            to_peer: dict[str, pulumi.Input[str]] = {
                "referenced_security_group_id": peer.alb_security_group_id
            }
            egress.append((f"peer-{index}", peer.listener_port, to_peer))
        for label, port, peer_args in egress:
            self._egress_rule(f"{name}-out-{label}", group.id, port, peer_args, args)
        return LambdaVpc(
            subnet_ids=vpc.subnet_ids, security_group_ids=(group.id, *vpc.security_group_ids)
        )

    def _egress_rule(
        self,
        name: str,
        group: pulumi.Input[str],
        port: int,
        to: dict[str, pulumi.Input[str]],
        args: LambdaRouterArgs,
    ) -> None:
        import pulumi_aws as aws

        aws.vpc.SecurityGroupEgressRule(
            name,
            security_group_id=group,
            from_port=port,
            to_port=port,
            ip_protocol="tcp",
            region=args.region,
            tags=args.labels.tags(),
            opts=self.child(),
            **to,
        )


def _vpc_network(vpc: RouterVpc) -> pulumi.Output[RouterNetwork]:
    return pulumi.Output.from_input(vpc.vpc_id).apply(
        lambda vpc_id: RouterNetwork(
            internet=vpc.internet,
            networks=[vpc_id],
            interface_endpoints=sorted(vpc.interface_endpoints),
        )
    )
