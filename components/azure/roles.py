"""Azure RBAC: let a service principal (the router's managed identity) use a resource."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure

__all__ = ["grant_role"]


def grant_role(
    owner: pulumi.ComponentResource,
    name: str,
    principal_id: pulumi.Input[str],
    role_id: str,
    scope: pulumi.Input[str],
) -> azure.authorization.RoleAssignment:
    """Assign built-in role ``role_id`` (a GUID) on ``scope`` to ``principal_id``, as a
    child ``name`` of ``owner``."""
    subscription = azure.authorization.get_client_config_output().subscription_id
    return azure.authorization.RoleAssignment(
        name,
        principal_id=principal_id,
        principal_type=azure.authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=pulumi.Output.concat(
            "/subscriptions/",
            subscription,
            f"/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
        ),
        scope=scope,
        opts=pulumi.ResourceOptions(parent=owner),
    )
