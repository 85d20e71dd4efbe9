"""AzureRouterState: the managed Redis a Container Apps router shares between replicas.

An Azure Cache for Redis (Standard: a primary and a replica) with the non-TLS port off,
TLS 1.2 at least, and public network access disabled: the router reaches it through a
private endpoint in the stack VNet's private-endpoints subnet, resolved by the
``privatelink.redis.cache.windows.net`` zone linked to that VNet. Access-key auth is on
(the router speaks plain Redis AUTH). The ``rediss://`` URL with the primary key travels
as a Container Apps secret into one environment variable (``secret_env``), never in the
RouterConfig, the template's plain env or a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.network import AzureNetwork, private_endpoint

__all__ = ["REDIS_ZONE", "AzureRouterState", "AzureRouterStateArgs"]

REDIS_ZONE = "privatelink.redis.cache.windows.net"
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class AzureRouterStateArgs:
    """Where the router's shared state lives."""

    network: AzureNetwork
    """The stack VNet the router's environment is integrated in."""
    name: str
    """The cache's globally unique name (``<name>.redis.cache.windows.net``)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the cache and its private endpoint."""


class AzureRouterState(pulumi.ComponentResource):
    """Azure Cache for Redis for the router, private and TLS only."""

    url: pulumi.Output[str]
    """``rediss://:<primary key>@<name>.redis.cache.windows.net:6380/0`` (a secret)."""

    def __init__(
        self, name: str, args: AzureRouterStateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not _NAME.match(args.name):
            raise ValueError(f"name {args.name!r}: allowed: {_NAME.pattern}")
        super().__init__("inferplane:azure:RouterState", name, None, opts)
        network = args.network
        cache = azure.redis.Redis(
            f"{name}-redis",
            name=args.name,
            resource_group_name=network.group,
            location=network.location,
            sku=azure.redis.SkuArgs(name="Standard", family="C", capacity=1),
            enable_non_ssl_port=False,
            minimum_tls_version="1.2",
            public_network_access="Disabled",
            redis_version="6",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        private_endpoint(
            self, f"{name}-endpoint", network, cache.id, "redisCache", [REDIS_ZONE], args.tags
        )
        keys = azure.redis.list_redis_keys_output(
            name=cache.name, resource_group_name=network.group
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(keys.primary_key, cache.host_name, cache.ssl_port).apply(
                lambda p: f"rediss://:{p[0]}@{p[1]}:{p[2]}/0"
            )
        )
        self.register_outputs({})
