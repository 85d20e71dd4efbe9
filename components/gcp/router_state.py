"""GcpRouterState: the managed Redis a Cloud Run router shares between its instances.

A Memorystore for Redis instance (Standard tier: a replica in another zone) reached only
by private services access in the stack network: a reserved internal range peered to
Google's service network, no public address. AUTH is on and transit encryption is
``SERVER_AUTHENTICATION`` (TLS with the instance's own CA). The router reads the
``rediss://`` URL (with the AUTH string) and that CA from one Secret Manager secret,
replicated only in the router's region, through an accessor binding on that secret
alone; neither enters the RouterConfig or the service's environment. The router joins
the network by Direct VPC egress (``CloudRunService`` ``vpc_egress``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

__all__ = ["GcpRouterState", "GcpRouterStateArgs"]

SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")


@dataclass(frozen=True)
class GcpRouterStateArgs:
    """Where the router's shared state lives."""

    project: str
    """The stack's project."""
    region: str
    """The router's region: the instance and the secret's only replica."""
    network: str
    """The stack network's path, ``projects/<p>/global/networks/<n>``."""
    reader: pulumi.Input[str]
    """The router's service account e-mail: the only reader of the secret."""
    labels: dict[str, str]
    """GCP labels of every resource."""
    name: str = "router-state"
    """Instance and secret name; lower-case letters, digits, hyphens (<= 40)."""
    memory_gb: int = 1
    """Instance size in GiB."""


class GcpRouterState(pulumi.ComponentResource):
    """Memorystore for the router, with its URL and CA in Secret Manager."""

    secret_name: str
    """``projects/<p>/secrets/<name>``: ``{"url": "rediss://:<auth>@host:port/0",
    "ca": "<PEM>"}``."""

    def __init__(
        self, name: str, args: GcpRouterStateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not _NAME.match(args.name):
            raise ValueError(f"name {args.name!r}: allowed: {_NAME.pattern}")
        super().__init__("inferplane:gcp:RouterState", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        peering = gcp.compute.GlobalAddress(
            f"{name}-range",
            project=args.project,
            name=f"{args.name}-psa",
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=24,
            network=args.network,
            labels=args.labels,
            opts=child,
        )
        connection = gcp.servicenetworking.Connection(
            f"{name}-psa",
            network=args.network,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[peering.name],
            opts=child,
        )
        instance = gcp.redis.Instance(
            f"{name}-redis",
            project=args.project,
            region=args.region,
            name=args.name,
            tier="STANDARD_HA",
            memory_size_gb=args.memory_gb,
            redis_version="REDIS_7_2",
            authorized_network=args.network,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            reserved_ip_range=peering.name,
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[connection]),
        )
        secret = gcp.secretmanager.Secret(
            f"{name}-url",
            project=args.project,
            secret_id=f"{args.name}-url",
            # The secret stays where the router runs (residency of an operational secret).
            replication={"user_managed": {"replicas": [{"location": args.region}]}},
            labels=args.labels,
            opts=child,
        )
        document: pulumi.Input[str] = pulumi.Output.all(
            instance.auth_string, instance.host, instance.port, instance.server_ca_certs
        ).apply(
            lambda p: json.dumps(
                {"url": f"rediss://:{p[0]}@{p[1]}:{p[2]}/0", "ca": p[3][0]["cert"]}
            )
        )
        gcp.secretmanager.SecretVersion(
            f"{name}-url-value",
            secret=secret.id,
            secret_data=pulumi.Output.secret(document),
            opts=child,
        )
        gcp.secretmanager.SecretIamMember(
            f"{name}-reader",
            project=args.project,
            secret_id=secret.secret_id,
            role=SECRET_ACCESSOR,
            member=pulumi.Output.concat("serviceAccount:", args.reader),
            opts=child,
        )
        self.secret_name = f"projects/{args.project}/secrets/{args.name}-url"
        self.register_outputs({"secret_name": self.secret_name})
