"""Serverless on GCP: one container on Cloud Run v2, optionally with a GPU.

Carries a model server (an engine speaking the OpenAI API) or any other container, the
router included: image, arguments, environment and port are plain Args. Private by
default: ingress stays inside the VPC (or behind a Cloud Load Balancer) and only named
service accounts may invoke it; ``public`` is the only way to bind ``allUsers``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from components.base import EndpointInfo, TargetComponent
from components.wiring import Grant, Reach
from inferplane.catalog.gcp import cloud_run_gpu_refusal, cloud_run_size_refusal

__all__ = [
    "INVOKER_ROLE",
    "CloudRunService",
    "CloudRunServiceArgs",
    "SecretEnv",
    "VpcEgress",
    "invoker_grant",
    "service_account_id",
]

Ingress = Literal["internal", "internal_and_cloud_load_balancing", "all"]

INGRESS = {
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal_and_cloud_load_balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "all": "INGRESS_TRAFFIC_ALL",
}
INVOKER_ROLE = "roles/run.invoker"
SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
_SECRET = re.compile(r"^(projects/[a-z0-9-]{6,30}/secrets/)?[A-Za-z0-9_-]{1,255}$")
_SECRET_VERSION = re.compile(r"^(latest|[1-9][0-9]*)$")
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
MAX_TIMEOUT_S = 3600
MAX_CONCURRENCY = 1000
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,47}[a-z0-9]$")


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable read from Secret Manager at instance start."""

    secret: str
    """Secret name (or full ``projects/.../secrets/...`` path)."""
    version: str = "latest"


@dataclass(frozen=True)
class VpcEgress:
    """Direct VPC egress: all outbound traffic goes through this subnet, which is how one
    Cloud Run service (the router) reaches another whose ingress is ``internal``."""

    network: str
    subnetwork: str


@dataclass
class CloudRunServiceArgs:
    location: str
    """GCP region of the service."""
    service_name: str
    """Physical service name: lowercase letters, digits and '-', at most 49 characters."""
    image: str
    """Container image; pin by digest in production."""
    port: int = 8080
    """Port the container listens on (Cloud Run sends requests there and sets ``$PORT``)."""
    args: Sequence[str] = ()
    """Container arguments (the engine's flags for a model server)."""
    command: Sequence[str] = ()
    """Entrypoint override; empty keeps the image's."""
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (the router's config JSON may be an Output)."""
    secret_env: Mapping[str, SecretEnv] = field(default_factory=dict)
    """Environment variables read from Secret Manager."""
    health_path: str | None = None
    """HTTP path answering 200 once the server is ready (startup probe); None: TCP probe."""
    model: str = ""
    """Model name the server answers to (OpenAI ``model``); empty for non-model services."""
    openai_base_path: str = "/v1"
    """Path prefix of the OpenAI-compatible API, appended to the service URL."""
    cpu: float = 1
    """vCPUs per instance."""
    memory_gib: float = 2
    """Memory per instance in GiB."""
    gpu: str | None = None
    """GPU type (``nvidia-l4``, ``nvidia-rtx-pro-6000``); implies CPU always allocated."""
    gpu_zonal_redundancy: bool = True
    """Keep GPU capacity across zones (costs more; off is best-effort on zone failure)."""
    min_instances: int = 0
    """Instances kept warm; 0 scales to zero."""
    max_instances: int = 1
    """Upper bound on instances (and on GPU quota used)."""
    concurrency: int = 80
    """Requests one instance serves at once before Cloud Run adds another."""
    timeout_s: int = 600
    """Request timeout in seconds (streamed completions count as one request)."""
    ingress: Ingress = "internal"
    """Where requests may come from: the VPC only, the VPC and Cloud Load Balancers, or all."""
    public: bool = False
    """Let anyone invoke without authentication (binds ``allUsers``)."""
    invokers: Sequence[str] = ()
    """Members (``serviceAccount:...``) granted ``roles/run.invoker``."""
    service_account: pulumi.Input[str] | None = None
    """Runtime identity (email); None creates a dedicated service account with no roles."""
    vpc_egress: VpcEgress | None = None
    """Route outbound traffic through a VPC subnet (to reach internal-only services)."""
    network: str | None = None
    """With internal ingress: the VPC network (``projects/<p>/global/networks/<n>``) its
    callers egress from; published as the target's reach so the wiring check can tell
    whether the router sits in it. None: no network is known to reach it."""
    project: str | None = None
    """Project of the service; None uses the provider's (the grant names it)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on every resource (``Labels.gcp()``)."""


class CloudRunService(TargetComponent):
    """A Cloud Run v2 service, its runtime service account and its invoker bindings."""

    url: pulumi.Output[str]
    """The service's HTTPS URL (``run.app``)."""
    service_account_email: pulumi.Output[str]
    """The identity the container runs as."""
    service_account_unique_id: pulumi.Output[str] | None
    """Numeric unique ID of the dedicated service account (what other clouds' federation
    trusts: ``accounts.google.com`` ``sub``/``aud``); None with a given ``service_account``."""
    reach: Reach
    """How it is reached (known before deployment: from ingress and ``network``)."""

    def __init__(
        self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:gcp:CloudRunService", name, None, opts)
        self._name = name
        self.service_account_unique_id = None
        self.service_account_email = self._identity(name, args)
        self.secret_access = self._secret_access(name, args)
        self.service = gcp.cloudrunv2.Service(
            f"{name}-service",
            name=args.service_name,
            location=args.location,
            project=args.project,
            ingress=INGRESS[args.ingress],
            labels=dict(args.labels),
            template=self._template(args),
            # The first revision reads its secrets at start: the grants must exist first.
            opts=self.child(depends_on=list(self.secret_access)),
        )
        self.invoker_bindings = [
            self.allow_invoker(_member_slug(member), member) for member in args.invokers
        ]
        if args.public:
            self.invoker_bindings.append(self.allow_invoker("public", "allUsers"))
        self.url = self.service.uri
        self.reach = _reach(args)
        reach = self.reach
        self.endpoint = pulumi.Output.all(self.service.uri, self.service.project).apply(
            lambda parts: EndpointInfo(
                backend="openai",
                model=args.model,
                url=f"{parts[0].rstrip('/')}{args.openai_base_path}",
                region=args.location,
                # Cloud Run checks an ID token whose audience is the service URL.
                auth={"scheme": "google_id_token", "audience": parts[0].rstrip("/")},
                reach=reach,
                grants=[invoker_grant(parts[1], args.location, args.service_name)],
            )
        )
        self.register_target_outputs(url=self.url, service_account=self.service_account_email)

    def allow_invoker(
        self, role_name: str, member: pulumi.Input[str]
    ) -> gcp.cloudrunv2.ServiceIamMember:
        """Grant ``member`` (e.g. the router's service account) the right to invoke."""
        return gcp.cloudrunv2.ServiceIamMember(
            f"{self._name}-invoker-{role_name}",
            name=self.service.name,
            location=self.service.location,
            project=self.service.project,
            role=INVOKER_ROLE,
            member=member,
            opts=self.child(),
        )

    def _identity(self, name: str, args: CloudRunServiceArgs) -> pulumi.Output[str]:
        if args.service_account is not None:
            return pulumi.Output.from_input(args.service_account)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=service_account_id(args.service_name),
            display_name=f"Cloud Run runtime identity of {args.service_name}",
            project=args.project,
            opts=self.child(),
        )
        self.service_account_unique_id = account.unique_id
        return account.email

    def _secret_access(
        self, name: str, args: CloudRunServiceArgs
    ) -> list[gcp.secretmanager.SecretIamMember]:
        """Read access for the runtime identity to each secret it reads, on that secret
        only (``secretAccessor`` on the secret, never on the project)."""
        member = pulumi.Output.concat("serviceAccount:", self.service_account_email)
        return [
            gcp.secretmanager.SecretIamMember(
                f"{name}-secret-{_member_slug(ref.secret.rsplit('/', 1)[-1])}",
                project=args.project,
                secret_id=ref.secret,
                role=SECRET_ACCESSOR_ROLE,
                member=member,
                opts=self.child(),
            )
            for ref in sorted(set(args.secret_env.values()), key=lambda r: r.secret)
        ]

    def _template(self, args: CloudRunServiceArgs) -> gcp.cloudrunv2.ServiceTemplateArgs:
        limits = {"cpu": f"{args.cpu:g}", "memory": _memory(args.memory_gib)}
        if args.gpu is not None:
            limits["nvidia.com/gpu"] = "1"
        container = gcp.cloudrunv2.ServiceTemplateContainerArgs(
            image=args.image,
            args=list(args.args) or None,
            commands=list(args.command) or None,
            ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=args.port),
            envs=_envs(args) or None,
            resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                limits=limits,
                # GPUs need CPU always allocated: a throttled CPU starves the GPU between
                # requests and breaks streaming.
                cpu_idle=args.gpu is None,
                startup_cpu_boost=True,
            ),
            startup_probe=_startup_probe(args),
        )
        return gcp.cloudrunv2.ServiceTemplateArgs(
            containers=[container],
            service_account=self.service_account_email,
            max_instance_request_concurrency=args.concurrency,
            timeout=f"{args.timeout_s}s",
            scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                min_instance_count=args.min_instances,
                max_instance_count=args.max_instances,
            ),
            node_selector=None
            if args.gpu is None
            else gcp.cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator=args.gpu),
            gpu_zonal_redundancy_disabled=None
            if args.gpu is None
            else not args.gpu_zonal_redundancy,
            execution_environment="EXECUTION_ENVIRONMENT_GEN2" if args.gpu else None,
            vpc_access=_vpc_access(args.vpc_egress),
            labels=dict(args.labels),
        )


def invoker_grant(project: str, location: str, service: str) -> Grant:
    """What a caller needs to invoke the service: ``roles/run.invoker`` on it."""
    return Grant(
        cloud="gcp",
        actions=[INVOKER_ROLE],
        resources=[f"projects/{project}/locations/{location}/services/{service}"],
    )


def _reach(args: CloudRunServiceArgs) -> Reach:
    # Ingress "all" is the only setting that accepts requests from the internet;
    # the load-balancer variant still refuses direct run.app calls from outside the VPC.
    if args.ingress == "all":
        return Reach(path="public")
    return Reach(path="vpc", network=args.network or "")


def _check(args: CloudRunServiceArgs) -> None:
    for key, ref in sorted(args.secret_env.items()):
        if not _SECRET.match(ref.secret):
            raise ValueError(
                f"secret_env[{key!r}].secret {ref.secret!r} is not allowed; use a Secret "
                "Manager secret ID (letters, digits, '_', '-') or projects/<p>/secrets/<id>"
            )
        if not _SECRET_VERSION.match(ref.version):
            raise ValueError(
                f"secret_env[{key!r}].version {ref.version!r} is not allowed; use 'latest' "
                "or a version number"
            )
    if not _SERVICE_NAME.match(args.service_name):
        raise ValueError(
            f"service_name {args.service_name!r} is not allowed; use 2-49 lowercase letters, "
            "digits and '-', starting with a letter"
        )
    if args.gpu is not None:
        refusal = cloud_run_gpu_refusal(args.gpu, 1, args.location, args.cpu, args.memory_gib)
    else:
        refusal = cloud_run_size_refusal(args.cpu, args.memory_gib)
    if refusal:
        raise ValueError(refusal)
    if not 0 <= args.min_instances <= args.max_instances or args.max_instances < 1:
        raise ValueError(
            f"min_instances {args.min_instances} / max_instances {args.max_instances} are not "
            "allowed; need 0 <= min_instances <= max_instances and max_instances >= 1"
        )
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency {args.concurrency} is not allowed; use 1-{MAX_CONCURRENCY}")
    if not 1 <= args.timeout_s <= MAX_TIMEOUT_S:
        raise ValueError(f"timeout_s {args.timeout_s} is not allowed; use 1-{MAX_TIMEOUT_S}")
    if args.ingress not in INGRESS:
        raise ValueError(f"ingress {args.ingress!r} is not allowed; allowed: {', '.join(INGRESS)}")
    if not 1 <= args.port <= 65535:
        raise ValueError(f"port {args.port} is not allowed; use 1-65535")
    for member in args.invokers:
        if member in PUBLIC_MEMBERS:
            raise ValueError(
                f"invokers: {member!r} is not allowed; set public=True to allow everyone"
            )
        if not member.startswith("serviceAccount:"):
            raise ValueError(
                f"invokers: {member!r} is not allowed; name service accounts "
                "(serviceAccount:<email>)"
            )


def _envs(args: CloudRunServiceArgs) -> list[gcp.cloudrunv2.ServiceTemplateContainerEnvArgs]:
    plain = [
        gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=key, value=value)
        for key, value in sorted(args.env.items())
    ]
    secret = [
        gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
            name=key,
            value_source=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs(
                secret_key_ref=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                    secret=ref.secret, version=ref.version
                )
            ),
        )
        for key, ref in sorted(args.secret_env.items())
    ]
    return plain + secret


def _startup_probe(
    args: CloudRunServiceArgs,
) -> gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs:
    # Model servers load weights for minutes: allow up to 10 minutes before giving up.
    if args.health_path is None:
        return gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
            tcp_socket=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeTcpSocketArgs(
                port=args.port
            ),
            period_seconds=10,
            failure_threshold=60,
        )
    return gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
        http_get=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs(
            path=args.health_path, port=args.port
        ),
        period_seconds=10,
        failure_threshold=60,
    )


def _vpc_access(egress: VpcEgress | None) -> gcp.cloudrunv2.ServiceTemplateVpcAccessArgs | None:
    if egress is None:
        return None
    return gcp.cloudrunv2.ServiceTemplateVpcAccessArgs(
        egress="ALL_TRAFFIC",
        network_interfaces=[
            gcp.cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                network=egress.network, subnetwork=egress.subnetwork
            )
        ],
    )


def _memory(gib: float) -> str:
    return f"{gib:g}Gi" if gib == int(gib) else f"{round(gib * 1024)}Mi"


def service_account_id(service_name: str) -> str:
    """A service-account ID (6-30 chars) unique per service name."""
    digest = hashlib.blake2b(service_name.encode(), digest_size=2).hexdigest()
    return f"{service_name[:25].rstrip('-')}-{digest}"


def _member_slug(member: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", member.split(":", 1)[-1].split("@", 1)[0].lower()).strip("-")
