"""Fully managed API on Azure: an Azure OpenAI account and one model deployment.

The deployment's SKU decides where prompts are processed and how capacity is bought:
``Standard`` (in the account's region), ``DataZoneStandard`` (inside the EU or US data
zone), ``GlobalStandard`` (anywhere), and the reserved ``*ProvisionedManaged`` variants
(capacity in PTUs). The SKU is an input of the deployment and an ``openai-sku`` tag on
both resources, so residency and reserved-capacity policies can read it.

Locked down by default: public network access disabled, keys disabled (Microsoft Entra
ID only), a system-assigned identity. With public access off the account is reached through
a private endpoint in ``private_network`` (the stack's VNet, components.azure.network),
with its ``privatelink.openai.azure.com`` record; without one nothing could reach it, so
that combination is refused.

Wiring (docs/wiring.md): callers send an Entra token for the Cognitive Services scope and
need the "Cognitive Services OpenAI User" role on the account; ``endpoint`` publishes both,
and how the account is reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.catalog.azure import OPENAI_PROVISIONED_SKUS, OPENAI_SKUS
from inferplane.components.azure.group import Placement, place
from inferplane.components.azure.network import (
    OPENAI_ZONES,
    AzureNetwork,
    private_endpoint,
    private_reach,
)
from inferplane.components.azure.roles import assign_grant, azure_grant
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.wiring import Grant, Reach

__all__ = ["OPENAI_SCOPE", "OPENAI_USER_ROLE", "AzureOpenAI", "AzureOpenAIArgs"]

OPENAI_USER_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
"""Built-in role "Cognitive Services OpenAI User": call deployments, nothing else
(role definition ID from Azure's built-in roles list)."""
OPENAI_SCOPE = "https://cognitiveservices.azure.com/.default"
"""Entra token scope of Azure OpenAI data-plane calls."""
MAX_CAPACITY = 100_000
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
_DEPLOYMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
_cs = azure.cognitiveservices


@dataclass
class AzureOpenAIArgs:
    location: str
    """Azure region of the account."""
    custom_subdomain: str
    """Globally unique subdomain: ``https://<subdomain>.openai.azure.com``; also the
    account name."""
    model: str
    """OpenAI model name, e.g. ``gpt-4o-mini``."""
    deployment_name: str
    """Deployment name (what callers put in the URL path)."""
    sku: str = "Standard"
    """One of Standard, DataZoneStandard, GlobalStandard, ProvisionedManaged,
    DataZoneProvisionedManaged, GlobalProvisionedManaged."""
    capacity: int = 10
    """Thousands of tokens per minute (Standard family) or PTUs (provisioned SKUs)."""
    model_version: str | None = None
    """Pinned model version; None follows the default version as it changes."""
    public_network_access: bool = False
    """Allow access from the internet; off means private endpoints only."""
    local_auth: bool = False
    """Allow API keys; off means Microsoft Entra ID tokens only."""
    private_network: AzureNetwork | None = None
    """The VNet whose private endpoint reaches the account; required when public network
    access is off."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``); ``openai-sku`` is added."""


class AzureOpenAI(TargetComponent):
    """An Azure OpenAI account (kind OpenAI) with one deployment."""

    account_id: pulumi.Output[str]
    """ARM ID of the account (scope for role assignments)."""
    url: str
    """``https://<subdomain>.openai.azure.com``."""
    azure_grants: list[pulumi.Output[Grant]]
    """What a caller must be granted (``assign_grant`` turns each into a role assignment)."""

    def __init__(
        self, name: str, args: AzureOpenAIArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:azure:AzureOpenAI", name, None, opts)
        self._name = name
        tags = {**args.tags, "openai-sku": args.sku}
        at = place(self, name, args.location, tags, args.resource_group_name)
        self.account = self._account(at, args)
        self.deployment = self._deployment(at, args)
        self.account_id = self.account.id
        self.url = f"https://{args.custom_subdomain}.openai.azure.com"
        if args.private_network is not None:
            self.private_endpoint = private_endpoint(
                self,
                f"{name}-pe",
                args.private_network,
                self.account.id,
                "account",
                OPENAI_ZONES,
                tags,
            )
        reach = private_reach(args.private_network, args.public_network_access)
        self.azure_grants = [self.account.id.apply(lambda i: azure_grant(OPENAI_USER_ROLE, i))]
        self.endpoint = pulumi.Output.all(reach, self.azure_grants[0]).apply(
            lambda parts: _endpoint_info(args, self.url, parts[0], parts[1])
        )
        self.register_target_outputs(account_id=self.account_id, url=self.url, sku=args.sku)

    def _account(self, at: Placement, args: AzureOpenAIArgs) -> azure.cognitiveservices.Account:
        public = args.public_network_access
        return _cs.Account(
            at.called("account"),
            account_name=args.custom_subdomain,
            resource_group_name=at.group,
            location=at.location,
            kind="OpenAI",
            sku=_cs.SkuArgs(name="S0"),
            identity=_cs.IdentityArgs(type=_cs.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=_cs.AccountPropertiesArgs(
                custom_sub_domain_name=args.custom_subdomain,
                public_network_access=_cs.PublicNetworkAccess.ENABLED
                if public
                else _cs.PublicNetworkAccess.DISABLED,
                disable_local_auth=not args.local_auth,
                network_acls=_cs.NetworkRuleSetArgs(
                    default_action=_cs.NetworkRuleAction.ALLOW
                    if public
                    else _cs.NetworkRuleAction.DENY
                ),
            ),
            tags=at.tags,
            opts=at.child(),
        )

    def _deployment(
        self, at: Placement, args: AzureOpenAIArgs
    ) -> azure.cognitiveservices.Deployment:
        upgrade = _cs.DeploymentModelVersionUpgradeOption
        return _cs.Deployment(
            at.called("deployment"),
            account_name=self.account.name,
            resource_group_name=at.group,
            deployment_name=args.deployment_name,
            sku=_cs.SkuArgs(name=args.sku, capacity=args.capacity),
            properties=_cs.DeploymentPropertiesArgs(
                model=_cs.DeploymentModelArgs(
                    format="OpenAI", name=args.model, version=args.model_version
                ),
                # A pinned version stays; an unpinned one follows the default version.
                version_upgrade_option=upgrade.NO_AUTO_UPGRADE
                if args.model_version
                else upgrade.ONCE_NEW_DEFAULT_VERSION_AVAILABLE,
            ),
            tags=at.tags,
            opts=at.child(),
        )

    def allow_caller(
        self, role_name: str, principal_id: pulumi.Input[str]
    ) -> azure.authorization.RoleAssignment:
        """Let ``principal_id`` (e.g. the router's managed identity) call the deployments."""
        return assign_grant(
            self, f"{self._name}-caller-{role_name}", self.azure_grants[0], principal_id
        )


def _check(args: AzureOpenAIArgs) -> None:
    if args.sku not in OPENAI_SKUS:
        raise ValueError(f"sku {args.sku!r} is not allowed; allowed: {', '.join(OPENAI_SKUS)}")
    if not 1 <= args.capacity <= MAX_CAPACITY:
        unit = "PTUs" if args.sku in OPENAI_PROVISIONED_SKUS else "thousand tokens/minute"
        raise ValueError(f"capacity {args.capacity} is not allowed; use 1-{MAX_CAPACITY} ({unit})")
    if not _SUBDOMAIN.match(args.custom_subdomain):
        raise ValueError(
            f"custom_subdomain {args.custom_subdomain!r} is not allowed; use 2-64 lowercase "
            "letters, digits and '-', not starting or ending with '-'"
        )
    if not _DEPLOYMENT.match(args.deployment_name):
        raise ValueError(
            f"deployment_name {args.deployment_name!r} is not allowed; use 2-64 letters, "
            "digits, '.', '_' and '-'"
        )
    if not args.public_network_access and args.private_network is None:
        raise ValueError(
            "public_network_access is off and there is no private_network: nothing could "
            "reach the account; give the VNet for its private endpoint, or turn public "
            "access on (callers still need an Entra token)"
        )


def _endpoint_info(args: AzureOpenAIArgs, url: str, reach: Reach, grant: Grant) -> EndpointInfo:
    return EndpointInfo(
        backend="azure_openai",
        model=args.deployment_name,
        url=url,
        region=args.location,
        auth={"scheme": "azure_entra", "scope": OPENAI_SCOPE},
        reach=reach,
        grants=[grant],
    )
