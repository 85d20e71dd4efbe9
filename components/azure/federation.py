"""Cross-cloud identity, GCP -> Azure: a user-assigned managed identity that a Google
service account (the router on Cloud Run) acts as, through workload identity federation,
holding exactly the Azure targets' grants.

The federated identity credential trusts Google's issuer for one subject, the service
account's numeric unique ID, with the audience Entra expects for token exchange. The router
presents a Google ID token (audience ``api://AzureADTokenExchange``) as a client assertion
for the identity's client ID and receives Entra tokens for the targets' scopes
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation). No secret
exists anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.group import resource_group_name
from inferplane.components.wiring import Grant

__all__ = [
    "BUILT_IN_ROLES",
    "GOOGLE_ISSUER",
    "TOKEN_EXCHANGE_AUDIENCE",
    "GoogleFederatedIdentity",
    "GoogleFederatedIdentityArgs",
    "azure_grant",
    "role_id",
]

GOOGLE_ISSUER = "https://accounts.google.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
BUILT_IN_ROLES: dict[str, str] = {
    # Azure's fixed GUIDs of the built-in roles a grant may name
    # (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
}
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_IDENTITY_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$")


@dataclass(frozen=True)
class GoogleFederatedIdentityArgs:
    location: str
    """Azure region of the identity."""
    identity_name: str
    """Name of the user-assigned managed identity."""
    google_unique_id: pulumi.Input[str]
    """Numeric unique ID of the Google service account that may act as the identity."""
    grants: Sequence[pulumi.Input[Grant]]
    """One Azure grant per entry (``cloud: azure``; role definition name, scope): the Azure
    targets' grants, verbatim. One role assignment is created per entry."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``)."""


class GoogleFederatedIdentity(pulumi.ComponentResource):
    """A user-assigned managed identity, its Google federated credential and its roles."""

    client_id: pulumi.Output[str]
    """What the router asks Entra tokens for (``TargetAuth.client_id``)."""
    tenant_id: pulumi.Output[str]
    """The identity's Entra tenant (``TargetAuth.tenant_id``)."""
    principal_id: pulumi.Output[str]
    """Object ID the role assignments name."""

    def __init__(
        self,
        name: str,
        args: GoogleFederatedIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not _IDENTITY_NAME.match(args.identity_name):
            raise ValueError(
                f"identity_name {args.identity_name!r} is not allowed; use 3-128 letters, "
                "digits, '-' and '_', starting with a letter or digit"
            )
        super().__init__("inferplane:azure:GoogleFederatedIdentity", name, None, opts)
        identity = self._identity(name, args)
        subscription = azure.authorization.get_client_config_output().subscription_id
        for i, grant in enumerate(args.grants):
            self._role(f"{name}-role-{i}", identity.principal_id, grant, subscription)
        self.client_id = identity.client_id
        self.tenant_id = identity.tenant_id
        self.principal_id = identity.principal_id
        self.register_outputs(
            {
                "client_id": self.client_id,
                "tenant_id": self.tenant_id,
                "principal_id": self.principal_id,
            }
        )

    def _identity(
        self, name: str, args: GoogleFederatedIdentityArgs
    ) -> azure.managedidentity.UserAssignedIdentity:
        """The identity, trusting tokens Google issues to the one service account."""
        child = pulumi.ResourceOptions(parent=self)
        group = resource_group_name(self, name, args.location, args.tags, args.resource_group_name)
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=group,
            location=args.location,
            tags=dict(args.tags),
            opts=child,
        )
        azure.managedidentity.FederatedIdentityCredential(
            f"{name}-google",
            federated_identity_credential_resource_name="google-service-account",
            resource_name_=identity.name,
            resource_group_name=group,
            issuer=GOOGLE_ISSUER,
            subject=pulumi.Output.from_input(args.google_unique_id).apply(_subject),
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=child,
        )
        return identity

    def _role(
        self,
        name: str,
        principal_id: pulumi.Input[str],
        grant: pulumi.Input[Grant],
        subscription: pulumi.Input[str],
    ) -> None:
        resolved = pulumi.Output.from_input(grant).apply(azure_grant)
        azure.authorization.RoleAssignment(
            name,
            principal_id=principal_id,
            principal_type=azure.authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=pulumi.Output.concat(
                "/subscriptions/",
                subscription,
                "/providers/Microsoft.Authorization/roleDefinitions/",
                resolved.apply(lambda g: role_id(g["actions"][0])),
            ),
            scope=resolved.apply(lambda g: g["resources"][0]),
            opts=pulumi.ResourceOptions(parent=self),
        )


def role_id(role: str) -> str:
    """The GUID of built-in role ``role`` (a name from ``BUILT_IN_ROLES`` or a GUID)."""
    if _GUID.match(role):
        return role
    found = BUILT_IN_ROLES.get(role)
    if found is None:
        raise ValueError(
            f"grant role {role!r} is not a known built-in role; known: "
            f"{', '.join(sorted(BUILT_IN_ROLES))} (or give the role definition GUID)"
        )
    return found


def _subject(unique_id: str) -> str:
    if not unique_id.isdigit():
        raise ValueError(f"google_unique_id {unique_id!r} is not a numeric service account ID")
    return unique_id


def azure_grant(grant: Grant) -> Grant:
    """``grant``, checked to be one Azure role on one scope."""
    if grant["cloud"] != "azure" or len(grant["actions"]) != 1 or len(grant["resources"]) != 1:
        raise ValueError(
            f"grant {grant!r}: need an Azure grant with one role definition and one scope"
        )
    return grant
