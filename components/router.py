"""RouterService: the stack's routing service on the stack's chosen platform.

The router is deployed with the same building blocks as the targets, so there is one way
to run an HTTP service per platform:

    lambda          LambdaFunction (function URL, AWS_IAM auth) with the router's zip
    cloud_run       CloudRunService with the router's OCI image
    container_app   ContainerAppService with the router's OCI image
    kubernetes      KubernetesWorkload beside a ModelServer, through its provider
    edge            the site's own router, shipped inside the edge bundle (EdgeSite)

The RouterConfig JSON travels as ``INFERPLANE_ROUTER_CONFIG`` (environment) or as the
``router.json`` file of a ConfigMap, so it is visible in the resource graph and the
policies can check the routing table. Its identity may call exactly the stack's targets:
on AWS the IAM statements come from the targets' wiring ``grants`` (exact ARNs, conditions
kept), never ``*``. On Lambda with a ``vpc`` it runs in that VPC's private subnets with a
security group each peer (a GPU fleet's internal ALB) admits, and reaches AWS APIs and
function URLs through the subnets' NAT gateways.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import pulumi

from inferplane.components.base import Labels
from inferplane.components.wiring import Grant, RouterIdentity, RouterNetwork
from inferplane.router.contract import (
    CONFIG_ENV,
    CONFIG_FILE,
    CONFIG_PATH,
    METRICS_PORT,
    ROUTER_PORT,
)

if TYPE_CHECKING:
    from inferplane.components.aws.lambda_function import LambdaVpc

__all__ = [
    "CONFIG_ENV",
    "ROUTER_PORT",
    "RouterService",
    "RouterServiceArgs",
    "RouterVpc",
    "VpcPeer",
]

LAMBDA_HANDLER = "lambda_entry.handler"
Platform = Literal["lambda", "cloud_run", "container_app", "kubernetes", "edge"]
PLATFORMS: tuple[str, ...] = ("lambda", "cloud_run", "container_app", "kubernetes", "edge")


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


@dataclass(frozen=True)
class RouterServiceArgs:
    """Where and how the router runs."""

    platform: Platform
    """lambda, cloud_run, container_app, kubernetes or edge."""
    config_json: pulumi.Input[str]
    """The rendered RouterConfig (``RouterConfig.to_json()``)."""
    labels: Labels
    """Tags/labels of every resource; ``data_class`` is the strictest class it handles."""
    region: str | None = None
    """Cloud region (lambda, cloud_run, container_app)."""
    grants: pulumi.Input[Sequence[Grant]] = ()
    """The AWS targets' wiring grants: what the router's role may call (lambda platform)."""
    vpc: RouterVpc | None = None
    """Run the Lambda inside this VPC (a target is reachable only there)."""
    code: pulumi.Archive | None = None
    """The router's Lambda deployment package (lambda platform)."""
    architecture: Literal["x86_64", "arm64"] = "arm64"
    """Lambda instruction set; the package's native wheels must match."""
    image: str | None = None
    """The router's OCI image, pushed to a registry the platform can pull from."""
    service_account: pulumi.Input[str] | None = None
    """cloud_run: email of the router's own service account (created by the deployment so
    federation can trust it before the config is rendered); None creates a dedicated one."""
    gcp_vpc_egress: tuple[str, str] | None = None
    """cloud_run: (network, subnetwork) paths for Direct VPC egress, to reach internal Cloud
    Run services and Vertex PSC endpoints; None keeps the router off any VPC."""
    gcp_internet: bool = True
    """cloud_run with VPC egress: whether the network has Cloud NAT (internet egress)."""
    gcp_grants: Sequence[tuple[str, pulumi.Input[str]]] = ()
    """cloud_run: the GCP targets' grants as (role, resource name); each becomes an IAM
    member for the router's service account (service-level for ``roles/run.invoker``)."""
    federated_identities: Sequence[pulumi.Input[RouterIdentity]] = ()
    """Identities the router acts as in other clouds through federation (AWS role, Azure
    user-assigned identity), published with its own in ``identity``."""
    public: bool = False
    """Serve without cloud-level auth (API keys still apply)."""
    replicas: int = 1
    """Maximum instances / replicas on container platforms (Lambda scales per request)."""
    memory_mb: int = 512
    """Memory per instance."""
    name_prefix: str = "router"
    """Physical-name prefix."""
    kubernetes_provider: pulumi.ProviderResource | None = None
    """The cluster's provider (kubernetes platform)."""
    namespace: str | None = None
    """Namespace beside the model server (kubernetes platform)."""
    kubernetes_targets: Sequence[object] = ()
    """``EgressPeer`` of each model server the router calls (kubernetes platform): its
    NetworkPolicy lets it reach exactly these pods and ports, and the cluster DNS."""
    kubernetes_callers: Sequence[str] = ()
    """Namespaces whose pods may call the router besides its own (the ingress
    controller's); nothing else reaches it (kubernetes platform)."""
    kubernetes_scrapers: Sequence[object] = ()
    """``IngressPeer`` of the Prometheus that reads the router's demand for scaled-to-zero
    model servers on the operator port ``METRICS_PORT`` (kubernetes platform; empty: the
    port stays closed)."""
    kubernetes_internet: bool = False
    """The router also calls targets outside the cluster over HTTPS (kubernetes platform)."""
    eks_cluster: str | None = None
    """kubernetes platform on EKS: the cluster's name. With AWS ``grants`` the router gets
    an IAM role holding them, bound to its own service account by an EKS Pod Identity
    association (the cluster needs the ``eks-pod-identity-agent`` add-on); ``region`` is
    the cluster's region."""
    container_app_environment: object | None = None
    """An existing Container Apps managed environment to join (container_app platform)."""
    azure_network: object | None = None
    """The stack's ``AzureNetwork`` (container_app platform): a new environment is
    VNet-integrated in its apps subnet; a joined one must already be."""
    azure_grants: Mapping[str, Sequence[pulumi.Output[Grant]]] = field(default_factory=dict)
    """Per Azure target, the grants its endpoint publishes: each becomes a role assignment
    to the router's managed identity (container_app platform)."""
    edge_url: pulumi.Input[str] | None = None
    """The site router's base URL (edge platform)."""
    edge_site: pulumi.Input[str] | None = None
    """The site the router runs at (edge platform): it sits on that site's LAN."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment variables."""
    secret_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables whose values are secrets (container_app: Container Apps
    secrets), e.g. the managed state's URL (``inferplane.deployment.router_state``)."""


def _check(args: RouterServiceArgs) -> None:
    if args.platform not in PLATFORMS:
        raise ValueError(f"platform: {args.platform!r} is not one of {', '.join(PLATFORMS)}")
    needs: dict[str, tuple[str, ...]] = {
        "lambda": ("region", "code"),
        "cloud_run": ("region", "image"),
        "container_app": ("region", "image"),
        "kubernetes": ("image", "kubernetes_provider", "namespace"),
        "edge": ("edge_url", "edge_site"),
    }
    for key in needs[args.platform]:
        if getattr(args, key) is None:
            raise ValueError(f"{key}: required on platform {args.platform!r}")
    if args.replicas < 1:
        raise ValueError(f"replicas: {args.replicas} must be at least 1")


class RouterService(pulumi.ComponentResource):
    """The stack's router, its config, identity and URL."""

    url: pulumi.Output[str]
    """Base URL of the router (``/v1/chat/completions`` below it)."""
    config_json: pulumi.Output[str]
    """The RouterConfig it runs with."""
    network: pulumi.Output[RouterNetwork]
    """Where it sits: internet egress, networks, interface endpoints (docs/wiring.md)."""
    identity: pulumi.Output[list[RouterIdentity]]
    """Who it is in each cloud it calls (docs/wiring.md)."""
    platform: str
    function_name: pulumi.Output[str] | None = None
    """The Lambda function's name (lambda platform): ``inferplane verify`` checks it."""

    def __init__(
        self, name: str, args: RouterServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:index:RouterService", name, None, opts)
        self.platform = args.platform
        self.config_json = pulumi.Output.from_input(args.config_json)
        # Each platform below replaces these with what it knows of its placement.
        self.network = pulumi.Output.from_input(
            RouterNetwork(internet=True, networks=[], interface_endpoints=[])
        )
        self.identity = pulumi.Output.from_input([])
        env = {CONFIG_ENV: self.config_json, **args.environment}
        deploy = {
            "lambda": self._on_lambda,
            "cloud_run": self._on_cloud_run,
            "container_app": self._on_container_app,
            "kubernetes": self._on_kubernetes,
            "edge": self._on_edge,
        }[args.platform]
        self.url = deploy(name, args, env)
        self.register_outputs(
            {
                "url": self.url,
                "config_json": self.config_json,
                "platform": args.platform,
                "network": self.network,
                "identity": self.identity,
            }
        )

    def _on_lambda(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        import json

        import pulumi_aws as aws

        from inferplane.components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs
        from inferplane.components.aws.wiring import grant_statements

        assert args.region is not None
        assert args.code is not None
        placement = self._lambda_vpc(name, args) if args.vpc is not None else None
        function = LambdaFunction(
            f"{name}-fn",
            LambdaFunctionArgs(
                region=args.region,
                code=args.code,
                handler=LAMBDA_HANDLER,
                labels=args.labels,
                name_prefix=args.name_prefix,
                architecture=args.architecture,
                environment=env,
                memory_mb=args.memory_mb,
                timeout_s=900,
                # One request per execution environment: capping concurrency would queue
                # clients, so the router scales with requests (share state via Redis).
                reserved_concurrency=None,
                public=args.public,
                vpc=placement,
                description="inferplane router: OpenAI-compatible, residency-aware",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function_name = function.function_name
        if args.grants:  # statically empty when the stack has no AWS targets
            document = pulumi.Output.from_input(args.grants).apply(
                lambda grants: json.dumps(
                    {"Version": "2012-10-17", "Statement": grant_statements(grants)},
                    sort_keys=True,
                )
            )
            aws.iam.RolePolicy(
                f"{name}-invoke",
                role=function.role_name,
                policy=document,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.identity = function.role_arn.apply(
            lambda arn: [RouterIdentity(cloud="aws", principal=arn)]
        )
        vpc = args.vpc
        if vpc is not None:
            self.network = pulumi.Output.from_input(vpc.vpc_id).apply(
                lambda vpc_id: RouterNetwork(
                    internet=vpc.internet,
                    networks=[vpc_id],
                    interface_endpoints=sorted(vpc.interface_endpoints),
                )
            )
        return function.function_url

    def _lambda_vpc(self, name: str, args: RouterServiceArgs) -> LambdaVpc:
        """A security group for the router's ENIs in ``args.vpc``: out to each peer's
        listener (which admits it) and to HTTPS anywhere (AWS APIs and function URLs,
        through NAT); nothing in."""
        import pulumi_aws as aws

        from inferplane.components.aws.lambda_function import LambdaVpc

        vpc, region = args.vpc, args.region
        assert vpc is not None
        assert region is not None
        tags = args.labels.tags()
        opts = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="inferplane router (Lambda ENIs)",
            vpc_id=vpc.vpc_id,
            region=region,
            tags=tags,
            opts=opts,
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
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-out-{label}",
                security_group_id=group.id,
                from_port=port,
                to_port=port,
                ip_protocol="tcp",
                region=region,
                tags=tags,
                opts=opts,
                **peer_args,
            )
        return LambdaVpc(
            subnet_ids=vpc.subnet_ids, security_group_ids=(group.id, *vpc.security_group_ids)
        )

    def _on_cloud_run(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from inferplane.components.gcp.cloud_run_service import (
            CloudRunService,
            CloudRunServiceArgs,
            VpcEgress,
        )
        from inferplane.components.gcp.router_grants import grant_members

        assert args.region is not None
        assert args.image is not None
        egress = args.gcp_vpc_egress
        service = CloudRunService(
            f"{name}-run",
            CloudRunServiceArgs(
                location=args.region,
                service_name=args.name_prefix,
                image=args.image,
                port=ROUTER_PORT,
                env=env,
                health_path="/healthz",
                memory_gib=max(0.5, args.memory_mb / 1024),
                min_instances=0,
                max_instances=args.replicas,
                ingress="all" if args.public else "internal_and_cloud_load_balancing",
                public=args.public,
                service_account=args.service_account,
                vpc_egress=None if egress is None else VpcEgress(*egress),
                labels=args.labels.gcp(),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        email = service.service_account_email
        grant_members(self, name, email, args.gcp_grants)
        self.network = pulumi.Output.from_input(
            RouterNetwork(
                # Direct VPC egress sends all traffic into the VPC: the internet only via NAT.
                internet=egress is None or args.gcp_internet,
                networks=[] if egress is None else [egress[0]],
                interface_endpoints=[],
            )
        )
        self.identity = pulumi.Output.all(
            email.apply(lambda e: RouterIdentity(cloud="gcp", principal=e)),
            *args.federated_identities,
        ).apply(list)
        return service.url

    def _on_container_app(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from inferplane.components.azure.container_app_service import (
            ContainerAppService,
            ContainerAppServiceArgs,
        )
        from inferplane.components.azure.network import AzureNetwork
        from inferplane.components.azure.roles import assign_grant

        assert args.region is not None
        assert args.image is not None
        network = args.azure_network
        assert network is None or isinstance(network, AzureNetwork)
        own_environment = args.container_app_environment is None
        # Consumption replicas come in 0.25 vCPU steps with 2 GiB per vCPU.
        cpu = max(0.25, math.ceil(args.memory_mb / 1024 / 2 * 4) / 4)
        app = ContainerAppService(
            f"{name}-app",
            ContainerAppServiceArgs(
                location=args.region,
                app_name=args.name_prefix,
                image=args.image,
                port=ROUTER_PORT,
                env=env,
                secret_env=args.secret_environment,
                health_path="/healthz",
                cpu=cpu,
                memory_gib=cpu * 2,
                min_replicas=0,
                max_replicas=args.replicas,
                external=args.public,
                environment=args.container_app_environment,  # type: ignore[arg-type]
                infrastructure_subnet_id=network.apps_subnet_id
                if network is not None and own_environment
                else None,
                internal_environment=network is not None and own_environment and not args.public,
                tags=args.labels.tags(),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        principal = app.principal_id.apply(_principal)
        for target, grants in sorted(args.azure_grants.items()):
            for index, grant in enumerate(grants):
                suffix = f"-{index}" if index else ""
                assign_grant(self, f"{name}-{target}-role{suffix}", grant, principal)
        networks = [app.environment_id] + ([network.vnet_id] if network is not None else [])
        self.network = pulumi.Output.all(*networks).apply(
            lambda ids: RouterNetwork(
                # Container Apps egress reaches the internet unless a route table stops it.
                internet=True,
                networks=sorted(ids),
                interface_endpoints=[],
            )
        )
        self.identity = principal.apply(lambda p: [RouterIdentity(cloud="azure", principal=p)])
        return app.url

    def _on_kubernetes(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from inferplane.components.kubernetes.manifests import (
            ROUTER_POD_LABELS,
            EgressPeer,
            Workload,
        )
        from inferplane.components.kubernetes.objects import IngressPeer
        from inferplane.components.kubernetes.workload import (
            KubernetesWorkload,
            KubernetesWorkloadArgs,
        )

        assert args.image is not None
        assert args.namespace is not None
        assert args.kubernetes_provider is not None
        namespaces = sorted(
            {
                args.namespace,
                *(p.namespace for p in args.kubernetes_targets if isinstance(p, EgressPeer)),
            }
        )
        self.network = pulumi.Output.from_input(
            RouterNetwork(
                internet=args.kubernetes_internet,
                networks=[f"k8s:{ns}" for ns in namespaces],
                interface_endpoints=[],
            )
        )
        if args.grants:  # statically empty when the stack has no AWS targets
            self.identity = self._eks_pod_identity(name, args)
        scrapers = tuple(p for p in args.kubernetes_scrapers if isinstance(p, IngressPeer))
        workload = Workload(
            name="router",
            namespace=args.namespace,
            component="router",
            image=args.image,
            port=ROUTER_PORT,
            health_path="/healthz",
            args=(
                "--config",
                CONFIG_PATH,
                "--host",
                "0.0.0.0",
                "--port",
                str(ROUTER_PORT),
            ),
            labels={**args.labels.kubernetes(), **ROUTER_POD_LABELS},
            replicas_min=1,
            replicas_max=args.replicas,
            memory_mib=args.memory_mb,
            # Default closed: callers from its own and the declared namespaces only.
            allow_namespaces=tuple(dict.fromkeys((args.namespace, *args.kubernetes_callers))),
            egress_to=tuple(p for p in args.kubernetes_targets if isinstance(p, EgressPeer)),
            egress_https_internet=args.kubernetes_internet,
            # Its own account, so a cloud identity binds to the router and nothing else.
            service_account={},
            scrapers=scrapers,
            metrics_port=METRICS_PORT if scrapers else None,
        )
        deployed = KubernetesWorkload(
            f"{name}-workload",
            KubernetesWorkloadArgs(workload, files={CONFIG_FILE: env[CONFIG_ENV]}),
            opts=pulumi.ResourceOptions(parent=self, providers=[args.kubernetes_provider]),
        )
        return pulumi.Output.from_input(deployed.url)

    def _eks_pod_identity(
        self, name: str, args: RouterServiceArgs
    ) -> pulumi.Output[list[RouterIdentity]]:
        """An IAM role holding the AWS targets' grants, assumed by the router's service
        account through EKS Pod Identity: no long-lived key in the cluster, and no OIDC
        provider ARN to carry in the spec (the association names cluster, namespace and
        service account; the trust policy names only the Pod Identity service)."""
        import json

        import pulumi_aws as aws

        from inferplane.components.aws.wiring import grant_statements

        if args.eks_cluster is None or args.region is None:
            raise ValueError(
                "eks_cluster: None, but the router on Kubernetes calls AWS targets; allowed: "
                "the EKS cluster's name (and region), whose Pod Identity gives the router "
                "an AWS identity"
            )
        tags = args.labels.tags()
        role = aws.iam.Role(
            f"{name}-pod-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "pods.eks.amazonaws.com"},
                            # Pod Identity tags the session (cluster, namespace, account).
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ],
                },
                sort_keys=True,
            ),
            description=f"inferplane router on EKS {args.eks_cluster}/{args.namespace}",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-invoke",
            role=role.id,
            policy=pulumi.Output.from_input(args.grants).apply(
                lambda grants: json.dumps(
                    {"Version": "2012-10-17", "Statement": grant_statements(grants)},
                    sort_keys=True,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity",
            cluster_name=args.eks_cluster,
            namespace=str(args.namespace),
            service_account="router",
            role_arn=role.arn,
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role.arn.apply(lambda arn: [RouterIdentity(cloud="aws", principal=arn)])

    def _on_edge(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        # The site's router ships inside the edge bundle that EdgeSite deploys; this
        # component records its config (for the policies) and where it answers. It sits
        # on the site's LAN only (docs/wiring.md): a site may have no uplink at all.
        assert args.edge_url is not None
        assert args.edge_site is not None
        self.network = pulumi.Output.from_input(args.edge_site).apply(
            lambda site: RouterNetwork(
                internet=False, networks=[f"edge:{site}"], interface_endpoints=[]
            )
        )
        return pulumi.Output.from_input(args.edge_url)


def _principal(principal_id: str | None) -> str:
    if not principal_id:
        raise ValueError("the router's container app has no managed identity principal")
    return principal_id
