"""The router's identity may read the cloud secrets its spec names (``router.admin_key``,
``router.redis``, an edge target's ``key_secret``/``ca_secret``): on each one only, never
the project, the vault or the account.

    lambda, kubernetes on EKS
                    ``secretsmanager:GetSecretValue`` on each ``aws_secretsmanager``
                    secret, in the router role's policy (the Lambda's role, the EKS Pod
                    Identity role): the ARN as given, or a name's ARN in the router's
                    region and account (``secret:<name>-??????``: Secrets Manager appends
                    six random characters to every secret's ARN)
    cloud_run       ``roles/secretmanager.secretAccessor`` on each ``gcp_secretmanager``
                    secret, a secret-level IAM member for the router's service account
    container_app   ``Key Vault Secrets User`` on each ``azure_keyvault`` secret (its ARM
                    ID: ``<vault_id>/secrets/<name>``), a role assignment to the app's
                    managed identity (the vault must use Azure RBAC, not access policies)

``inferplane.spec.router_secrets`` refuses these stores under any other router platform.
Each hook takes the platform's Args and returns them with the grants added, before the
router is built (as ``router_state``'s do).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import pulumi

from inferplane.components.wiring import Grant
from inferplane.deployment.context import DeployContext
from inferplane.spec.router_secrets import router_secrets

if TYPE_CHECKING:
    from inferplane.components.router.aws_lambda import LambdaRouterArgs
    from inferplane.components.router.cloud_run import CloudRunRouterArgs
    from inferplane.components.router.container_app import ContainerAppRouterArgs
    from inferplane.components.router.kubernetes import KubernetesRouterArgs

__all__ = ["on_cloud_run", "on_container_app", "on_kubernetes", "on_lambda", "secret_arn"]

READ_AWS_SECRET = "secretsmanager:GetSecretValue"
AwsArgs = TypeVar("AwsArgs", "LambdaRouterArgs", "KubernetesRouterArgs")


def on_lambda(args: LambdaRouterArgs, ctx: DeployContext) -> LambdaRouterArgs:
    """``args`` whose role reads each ``aws_secretsmanager`` secret."""
    return _with_aws_reads(args, args.region, ctx)


def on_kubernetes(args: KubernetesRouterArgs, ctx: DeployContext) -> KubernetesRouterArgs:
    """On EKS, ``args`` whose Pod Identity role reads each ``aws_secretsmanager`` secret
    (off EKS the router has no AWS identity of its own: nothing to grant)."""
    if args.eks is None:
        return args
    granted = _with_aws_reads(args, args.eks.region, ctx)
    # Secrets Manager is an AWS API: the router reaches it over HTTPS.
    return args if granted is args else replace(granted, internet=True)


def _with_aws_reads(args: AwsArgs, region: str, ctx: DeployContext) -> AwsArgs:
    from inferplane.components.aws.arns import account_id

    names = sorted(
        {loc.name for _, loc in router_secrets(ctx.spec) if loc.store == "aws_secretsmanager"}
    )
    if not names:
        return args
    read = account_id().apply(
        lambda account: Grant(
            cloud="aws",
            actions=[READ_AWS_SECRET],
            resources=[secret_arn(name, region, account) for name in names],
        )
    )
    grants = pulumi.Output.all(args.grants, read).apply(lambda p: [*p[0], p[1]])
    return replace(args, grants=grants)


def secret_arn(name: str, region: str, account: str) -> str:
    """The ARN a Secrets Manager secret ``name`` (or ARN) has in ``region`` and ``account``."""
    if name.startswith("arn:"):
        return name
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????"


def on_cloud_run(args: CloudRunRouterArgs, ctx: DeployContext) -> CloudRunRouterArgs:
    """``args`` whose service account reads each ``gcp_secretmanager`` secret."""
    from inferplane.components.gcp.cloud_run_service import SECRET_ACCESSOR_ROLE

    secrets = sorted(
        {loc.name for _, loc in router_secrets(ctx.spec) if loc.store == "gcp_secretmanager"}
    )
    if not secrets:
        return args
    reads = [(SECRET_ACCESSOR_ROLE, pulumi.Output.from_input(name)) for name in secrets]
    return replace(args, grants=[*args.grants, *reads])


def on_container_app(args: ContainerAppRouterArgs, ctx: DeployContext) -> ContainerAppRouterArgs:
    """``args`` whose managed identity reads each ``azure_keyvault`` secret."""
    from inferplane.components.azure.container_app_service import KEY_VAULT_SECRETS_USER
    from inferplane.components.azure.roles import azure_grant

    scopes = sorted(
        {
            f"{loc.vault_id}/secrets/{loc.name}"
            for _, loc in router_secrets(ctx.spec)
            if loc.store == "azure_keyvault"
        }
    )
    if not scopes:
        return args
    reads = [pulumi.Output.from_input(azure_grant(KEY_VAULT_SECRETS_USER, s)) for s in scopes]
    # Keyed apart from the targets' grants: '_' is not allowed in a target's name.
    return replace(args, grants={**args.grants, "read_secret": reads})
