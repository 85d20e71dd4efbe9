"""AwsRouterState: the managed Redis a router on Lambda or EKS shares between replicas.

An ElastiCache Serverless cache (TLS always on: Serverless refuses plain connections) in
the router's private subnets. Only the router reaches it: the cache's security group
admits port 6379-6380 from one client group, which the router's Lambda ENIs carry, and
nothing else (on EKS, the client group is the cluster's security group, which its nodes
carry: ``client_security_group_id``). Authentication is an RBAC user group: the mandatory
``default`` user is switched off, the router's user has a random password. The router
reads the ``rediss://`` URL from a Secrets Manager secret with its own role (``grant``):
the URL never enters the RouterConfig, the Lambda environment or the pod spec.

The password is drawn once, when the user and the secret are created, and kept after
(``ignore_changes``): a later ``pulumi up`` draws another and must not apply it to
either. Replacing the cache user rotates it; replace the secret version with it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from inferplane.components.base import Labels
from inferplane.components.wiring import Grant

__all__ = ["STATE_PORTS", "AwsRouterState", "AwsRouterStateArgs"]

STATE_PORTS = (6379, 6380)
"""ElastiCache Serverless answers on 6379 (primary) and 6380 (reads)."""
_USER = "router"
_READ_SECRET = "secretsmanager:GetSecretValue"


@dataclass(frozen=True)
class AwsRouterStateArgs:
    """Where the router's shared state lives."""

    region: str
    """Region of the cache (the router's)."""
    vpc_id: pulumi.Input[str]
    """The router's VPC."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """The router's private subnets (two or more Availability Zones)."""
    labels: Labels
    """Tags of every resource; ``data_class``: the strictest class the router handles
    (the cache holds its answers)."""
    name_prefix: str = "router-state"
    """Physical-name prefix (cache, users, secret); lower-case letters, digits, hyphens."""
    client_security_group_id: pulumi.Input[str] | None = None
    """An existing group the cache admits instead of a new client group: an EKS
    cluster's security group, which its nodes' ENIs (and so its pods) carry. The group is
    not ours, so no egress rule is added to it (EKS leaves its egress open)."""


class AwsRouterState(pulumi.ComponentResource):
    """ElastiCache Serverless for the router, with its URL in Secrets Manager."""

    client_security_group_id: pulumi.Output[str]
    """Attach to the router's ENIs: the only group the cache admits (the given one when
    ``client_security_group_id`` was set)."""
    secret_arn: pulumi.Output[str]
    """The secret holding ``{"url": "rediss://router:<password>@<host>:6379/0"}``."""

    def __init__(
        self, name: str, args: AwsRouterStateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("inferplane:aws:RouterState", name, None, opts)
        tags = args.labels.tags()
        self._opts = pulumi.ResourceOptions(parent=self)
        self._region = args.region
        client, cache_group = self._security_groups(name, args, tags)
        password = secrets.token_hex(32)  # kept after creation: see the module docstring
        group = self._users(name, args, password, tags)
        cache = aws.elasticache.ServerlessCache(
            f"{name}-cache",
            name=args.name_prefix,
            engine="valkey",
            major_engine_version="8",
            description="inferplane router: shared keys, budgets, limits, caches",
            subnet_ids=args.subnet_ids,
            security_group_ids=[cache_group.id],
            user_group_id=group.user_group_id,
            region=args.region,
            tags=tags,
            opts=self._opts,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-url",
            name_prefix=f"{args.name_prefix}-url-",
            description="inferplane router: URL of its shared state (ElastiCache)",
            region=args.region,
            tags=tags,
            opts=self._opts,
        )
        endpoint = cache.endpoints.apply(lambda found: found[0])
        document: pulumi.Input[str] = pulumi.Output.all(endpoint.address, endpoint.port).apply(
            lambda p: json.dumps({"url": f"rediss://{_USER}:{password}@{p[0]}:{p[1]}/0"})
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-url-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(document),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
        )
        self.client_security_group_id = client
        self.secret_arn = secret.arn
        self.register_outputs({"client_security_group_id": client, "secret_arn": secret.arn})

    def grant(self) -> pulumi.Output[Grant]:
        """What the router's role needs to read the URL: this one secret."""
        return self.secret_arn.apply(
            lambda arn: Grant(cloud="aws", actions=[_READ_SECRET], resources=[arn])
        )

    def _security_groups(
        self, name: str, args: AwsRouterStateArgs, tags: dict[str, str]
    ) -> tuple[pulumi.Output[str], aws.ec2.SecurityGroup]:
        """The client group's id and the cache's group, which admits the client only."""
        given = args.client_security_group_id
        groups = [("cache", "inferplane router state: admits the router only")]
        if given is None:
            groups.insert(0, ("client", "inferplane router: may open its shared state"))
        made = {
            label: aws.ec2.SecurityGroup(
                f"{name}-{label}",
                description=description,
                vpc_id=args.vpc_id,
                region=args.region,
                tags=tags,
                opts=self._opts,
            )
            for label, description in groups
        }
        cache = made["cache"]
        client = pulumi.Output.from_input(given) if given is not None else made["client"].id
        # The cache admits the client group; a client group of ours may open the cache only.
        inbound = aws.vpc.SecurityGroupIngressRule
        self._rule(f"{name}-in", inbound, group=cache.id, peer=client, args=args, tags=tags)
        if given is None:
            outbound = aws.vpc.SecurityGroupEgressRule
            own = made["client"].id
            self._rule(f"{name}-out", outbound, group=own, peer=cache.id, args=args, tags=tags)
        return client, cache

    def _rule(
        self,
        name: str,
        rule: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        *,
        group: pulumi.Input[str],
        peer: pulumi.Input[str],
        args: AwsRouterStateArgs,
        tags: dict[str, str],
    ) -> None:
        """``group`` admits (ingress) or may open (egress) ``peer`` on the cache ports."""
        low, high = STATE_PORTS
        rule(
            name,
            security_group_id=group,
            referenced_security_group_id=peer,
            from_port=low,
            to_port=high,
            ip_protocol="tcp",
            region=args.region,
            tags=tags,
            opts=self._opts,
        )

    def _users(
        self, name: str, args: AwsRouterStateArgs, password: str, tags: dict[str, str]
    ) -> aws.elasticache.UserGroup:
        # A user group must hold a user named "default"; this one can do nothing.
        default = aws.elasticache.User(
            f"{name}-default",
            user_id=f"{args.name_prefix}-default",
            user_name="default",
            engine="valkey",
            access_string="off -@all",
            authentication_mode={"type": "password", "passwords": [secrets.token_hex(32)]},
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["authenticationMode"]),
        )
        router = aws.elasticache.User(
            f"{name}-user",
            user_id=f"{args.name_prefix}-{_USER}",
            user_name=_USER,
            engine="valkey",
            access_string="on ~* &* +@all -@dangerous",
            authentication_mode={"type": "password", "passwords": [password]},
            region=args.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["authenticationMode"]),
        )
        return aws.elasticache.UserGroup(
            f"{name}-users",
            user_group_id=args.name_prefix,
            engine="valkey",
            user_ids=[default.user_id, router.user_id],
            region=args.region,
            tags=tags,
            opts=self._opts,
        )
