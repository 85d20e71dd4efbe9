"""What a Cloud Run service is given (``CloudRunServiceArgs``) and the checks that refuse
what Cloud Run would refuse, before anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from inferplane.catalog.gcp import cloud_run_gpu_refusal, cloud_run_size_refusal
from inferplane.components.container import ContainerSpec

__all__ = [
    "INGRESS",
    "CloudRunServiceArgs",
    "Ingress",
    "SecretEnv",
    "VpcEgress",
    "check_args",
]

Ingress = Literal["internal", "internal_and_cloud_load_balancing", "all"]

INGRESS = {
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal_and_cloud_load_balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "all": "INGRESS_TRAFFIC_ALL",
}
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
    container: ContainerSpec
    """What runs: image, command, args, port (Cloud Run sends requests there and sets
    ``$PORT``), env, health path (startup probe; None: TCP) and vCPU/memory per instance."""
    secret_env: Mapping[str, SecretEnv] = field(default_factory=dict)
    """Environment variables read from Secret Manager."""
    model: str = ""
    """Model name the server answers to (OpenAI ``model``); empty for non-model services."""
    gpu: str | None = None
    """GPU type (``nvidia-l4``, ``nvidia-rtx-pro-6000``); implies CPU always allocated and
    one GPU per instance (``container.resources.gpus`` 0 or 1)."""
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


def check_args(args: CloudRunServiceArgs) -> None:
    _check_secrets(args.secret_env)
    if not _SERVICE_NAME.match(args.service_name):
        raise ValueError(
            f"service_name {args.service_name!r} is not allowed; use 2-49 lowercase letters, "
            "digits and '-', starting with a letter"
        )
    _check_size(args)
    _check_scaling(args)
    if args.ingress not in INGRESS:
        raise ValueError(f"ingress {args.ingress!r} is not allowed; allowed: {', '.join(INGRESS)}")
    if not 1 <= args.container.port <= 65535:
        raise ValueError(f"container.port {args.container.port} is not allowed; use 1-65535")
    for member in args.invokers:
        _check_invoker(member)


def _check_secrets(secret_env: Mapping[str, SecretEnv]) -> None:
    for key, ref in sorted(secret_env.items()):
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


def _check_size(args: CloudRunServiceArgs) -> None:
    resources = args.container.resources
    if args.gpu is None and resources.gpus:
        raise ValueError(
            f"container.resources.gpus {resources.gpus} needs gpu (the GPU type); allowed "
            "without it: 0"
        )
    if args.gpu is not None:
        refusal = cloud_run_gpu_refusal(
            args.gpu, resources.gpus or 1, args.location, resources.cpu, resources.memory_gib
        )
    else:
        refusal = cloud_run_size_refusal(resources.cpu, resources.memory_gib)
    if refusal:
        raise ValueError(refusal)


def _check_scaling(args: CloudRunServiceArgs) -> None:
    if not 0 <= args.min_instances <= args.max_instances or args.max_instances < 1:
        raise ValueError(
            f"min_instances {args.min_instances} / max_instances {args.max_instances} are not "
            "allowed; need 0 <= min_instances <= max_instances and max_instances >= 1"
        )
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency {args.concurrency} is not allowed; use 1-{MAX_CONCURRENCY}")
    if not 1 <= args.timeout_s <= MAX_TIMEOUT_S:
        raise ValueError(f"timeout_s {args.timeout_s} is not allowed; use 1-{MAX_TIMEOUT_S}")


def _check_invoker(member: str) -> None:
    if member in PUBLIC_MEMBERS:
        raise ValueError(f"invokers: {member!r} is not allowed; set public=True to allow everyone")
    if not member.startswith("serviceAccount:"):
        raise ValueError(
            f"invokers: {member!r} is not allowed; name service accounts (serviceAccount:<email>)"
        )
