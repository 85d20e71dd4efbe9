"""Azure RBAC as wiring data: a target publishes the role its callers need as a ``Grant``
(``components.wiring``), and ``assign_grant`` turns that Grant into the role assignment
for one principal. The router on Container Apps (its managed identity) and cross-cloud
federation (a federated user-assigned identity) both go through ``assign_grant``, so a
grant is created exactly as the target published it.

An Azure ``Grant`` carries one built-in role in ``actions`` as its role definition name
(the GUID Azure gives the built-in role, stable across tenants) and one scope in
``resources`` (the ARM ID of the resource the role is assigned on).
"""

from __future__ import annotations

import re

import pulumi
import pulumi_azure_native as azure

from inferplane.components.wiring import Grant

__all__ = ["assign_grant", "azure_grant", "role_definition_id"]

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def azure_grant(role_id: str, scope: str) -> Grant:
    """The Grant for built-in role ``role_id`` (its GUID) on ``scope`` (an ARM ID)."""
    if not _GUID.match(role_id):
        raise ValueError(f"role_id {role_id!r} is not allowed; use a role definition GUID")
    return Grant(cloud="azure", actions=[role_id], resources=[scope])


def role_definition_id(subscription_id: str, role_id: str) -> str:
    """The subscription-scoped ARM ID of built-in role ``role_id``."""
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{role_id}"
    )


def _checked(grant: Grant) -> Grant:
    if grant["cloud"] != "azure" or len(grant["actions"]) != 1 or len(grant["resources"]) != 1:
        raise ValueError(
            f"grant {grant!r} is not allowed here; an Azure role assignment needs cloud "
            "'azure', one role definition GUID in actions and one scope in resources"
        )
    azure_grant(grant["actions"][0], grant["resources"][0])
    return grant


def assign_grant(
    owner: pulumi.Resource,
    name: str,
    grant: pulumi.Input[Grant],
    principal_id: pulumi.Input[str],
) -> azure.authorization.RoleAssignment:
    """The role assignment that gives ``principal_id`` (a managed identity, system- or
    user-assigned: both are service principals) what ``grant`` asks for, as a child
    ``name`` of ``owner``."""
    if isinstance(grant, dict):
        _checked(grant)  # a plain Grant is refused before anything is registered
    checked = pulumi.Output.from_input(grant).apply(_checked)
    subscription = azure.authorization.get_client_config_output().subscription_id
    return azure.authorization.RoleAssignment(
        name,
        principal_id=principal_id,
        principal_type=azure.authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=pulumi.Output.all(subscription, checked).apply(
            lambda pair: role_definition_id(pair[0], pair[1]["actions"][0])
        ),
        scope=checked.apply(lambda g: g["resources"][0]),
        opts=pulumi.ResourceOptions(parent=owner),
    )
