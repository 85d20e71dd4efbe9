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
on AWS one IAM statement per service over the targets' ARNs, never ``*``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from components.base import Labels
from components.wiring import RouterIdentity, RouterNetwork
from router.contract import CONFIG_ENV, CONFIG_FILE, CONFIG_PATH, ROUTER_PORT

__all__ = [
    "CONFIG_ENV",
    "INVOKE_ACTIONS",
    "ROUTER_PORT",
    "RouterService",
    "RouterServiceArgs",
]

LAMBDA_HANDLER = "lambda_entry.handler"
Platform = Literal["lambda", "cloud_run", "container_app", "kubernetes", "edge"]
PLATFORMS: tuple[str, ...] = ("lambda", "cloud_run", "container_app", "kubernetes", "edge")

INVOKE_ACTIONS: dict[str, tuple[str, ...]] = {
    "bedrock": ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
    "sagemaker": ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"),
    "lambda": ("lambda:InvokeFunctionUrl",),
}
"""What the router may do with a target's ARN, by the ARN's service."""


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
    invoke_arns: pulumi.Input[Sequence[str]] = ()
    """AWS ARNs of the targets the router may call (lambda platform)."""
    code: pulumi.Archive | None = None
    """The router's Lambda deployment package (lambda platform)."""
    architecture: Literal["x86_64", "arm64"] = "arm64"
    """Lambda instruction set; the package's native wheels must match."""
    image: str | None = None
    """The router's OCI image, pushed to a registry the platform can pull from."""
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
    container_app_environment: object | None = None
    """An existing Container Apps managed environment to join (container_app platform)."""
    edge_url: pulumi.Input[str] | None = None
    """The site router's base URL (edge platform)."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment variables."""


def _check(args: RouterServiceArgs) -> None:
    if args.platform not in PLATFORMS:
        raise ValueError(f"platform: {args.platform!r} is not one of {', '.join(PLATFORMS)}")
    needs: dict[str, tuple[str, ...]] = {
        "lambda": ("region", "code"),
        "cloud_run": ("region", "image"),
        "container_app": ("region", "image"),
        "kubernetes": ("image", "kubernetes_provider", "namespace"),
        "edge": ("edge_url",),
    }
    for key in needs[args.platform]:
        if getattr(args, key) is None:
            raise ValueError(f"{key}: required on platform {args.platform!r}")
    if args.replicas < 1:
        raise ValueError(f"replicas: {args.replicas} must be at least 1")


def invoke_statements(arns: Sequence[str]) -> list[dict[str, object]]:
    """IAM statements allowing exactly ``arns``, one per service, actions by service."""
    by_service: dict[str, list[str]] = {}
    for arn in sorted(set(arns)):
        service = arn.split(":")[2]
        if service not in INVOKE_ACTIONS:
            raise ValueError(f"invoke_arns: no router action for {service!r} ARN {arn!r}")
        by_service.setdefault(service, []).append(arn)
    return [
        {
            "Sid": f"Invoke{service.title()}",
            "Effect": "Allow",
            "Action": list(INVOKE_ACTIONS[service]),
            "Resource": resources,
        }
        for service, resources in sorted(by_service.items())
    ]


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

        from components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs

        assert args.region is not None
        assert args.code is not None
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
                description="inferplane router: OpenAI-compatible, residency-aware",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function_name = function.function_name
        if args.invoke_arns:  # statically empty when the stack has no AWS targets
            document = pulumi.Output.from_input(args.invoke_arns).apply(
                lambda arns: json.dumps(
                    {"Version": "2012-10-17", "Statement": invoke_statements(arns)},
                    sort_keys=True,
                )
            )
            aws.iam.RolePolicy(
                f"{name}-invoke",
                role=function.role_name,
                policy=document,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return function.function_url

    def _on_cloud_run(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from components.gcp.cloud_run_service import CloudRunService, CloudRunServiceArgs

        assert args.region is not None
        assert args.image is not None
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
                labels=args.labels.gcp(),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return service.url

    def _on_container_app(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from components.azure.container_app_service import (
            ContainerAppService,
            ContainerAppServiceArgs,
        )

        assert args.region is not None
        assert args.image is not None
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
                health_path="/healthz",
                cpu=cpu,
                memory_gib=cpu * 2,
                min_replicas=0,
                max_replicas=args.replicas,
                external=args.public,
                environment=args.container_app_environment,  # type: ignore[arg-type]
                tags=args.labels.tags(),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return app.url

    def _on_kubernetes(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        from components.kubernetes.manifests import ROUTER_POD_LABELS, Workload
        from components.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs

        assert args.image is not None
        assert args.namespace is not None
        assert args.kubernetes_provider is not None
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
        )
        deployed = KubernetesWorkload(
            f"{name}-workload",
            KubernetesWorkloadArgs(workload, files={CONFIG_FILE: env[CONFIG_ENV]}),
            opts=pulumi.ResourceOptions(parent=self, providers=[args.kubernetes_provider]),
        )
        return pulumi.Output.from_input(deployed.url)

    def _on_edge(
        self, name: str, args: RouterServiceArgs, env: Mapping[str, pulumi.Input[str]]
    ) -> pulumi.Output[str]:
        # The site's router ships inside the edge bundle that EdgeSite deploys; this
        # component records its config (for the policies) and where it answers.
        assert args.edge_url is not None
        return pulumi.Output.from_input(args.edge_url)
