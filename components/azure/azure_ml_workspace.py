"""The Azure ML workspace an endpoint lives in, with the dependencies Azure ML requires: a
storage account and a key vault (both closed to the internet unless the endpoint is public),
and Application Insights on a Log Analytics workspace."""

from __future__ import annotations

import hashlib
import re

import pulumi_azure_native as azure

from inferplane.components.azure.azure_ml_args import AzureMlEndpointArgs
from inferplane.components.azure.group import Placement

__all__ = ["access", "ml_workspace"]

_ml = azure.machinelearningservices


def ml_workspace(
    at: Placement, args: AzureMlEndpointArgs
) -> azure.machinelearningservices.Workspace:
    """The workspace, as the component's ``workspace``."""
    return _ml.Workspace(
        at.called("workspace"),
        workspace_name=args.workspace_name,
        resource_group_name=at.group,
        location=at.location,
        identity=_ml.ManagedServiceIdentityArgs(
            type=_ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
        ),
        storage_account=_storage(at, args).id,
        key_vault=_vault(at, args).id,
        application_insights=_insights(at).id,
        public_network_access=access(args.public_network_access),
        sku=_ml.SkuArgs(name="Basic", tier=_ml.SkuTier.BASIC),
        tags=at.tags,
        opts=at.child(),
    )


def _storage(at: Placement, args: AzureMlEndpointArgs) -> azure.storage.StorageAccount:
    private = not args.public_network_access
    storage = azure.storage
    return storage.StorageAccount(
        at.called("storage"),
        account_name=_global_name(args.workspace_name, 24, alnum=True),
        resource_group_name=at.group,
        location=at.location,
        kind=storage.Kind.STORAGE_V2,
        sku=storage.SkuArgs(name=storage.SkuName.STANDARD_LRS),
        allow_blob_public_access=False,
        minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
        enable_https_traffic_only=True,
        network_rule_set=storage.NetworkRuleSetArgs(
            default_action=storage.DefaultAction.DENY if private else storage.DefaultAction.ALLOW,
            bypass="AzureServices",
        ),
        tags=at.tags,
        opts=at.child(),
    )


def _vault(at: Placement, args: AzureMlEndpointArgs) -> azure.keyvault.Vault:
    private = not args.public_network_access
    keyvault = azure.keyvault
    return keyvault.Vault(
        at.called("vault"),
        vault_name=_global_name(args.workspace_name, 24, alnum=False),
        resource_group_name=at.group,
        location=at.location,
        properties=keyvault.VaultPropertiesArgs(
            tenant_id=azure.authorization.get_client_config_output().tenant_id,
            sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
            enable_rbac_authorization=True,
            enable_purge_protection=True,
            enable_soft_delete=True,
            public_network_access="Disabled" if private else "Enabled",
            network_acls=keyvault.NetworkRuleSetArgs(
                default_action="Deny" if private else "Allow", bypass="AzureServices"
            ),
        ),
        tags=at.tags,
        opts=at.child(),
    )


def _insights(at: Placement) -> azure.applicationinsights.Component:
    logs = azure.operationalinsights.Workspace(
        at.called("logs"),
        resource_group_name=at.group,
        location=at.location,
        sku=azure.operationalinsights.WorkspaceSkuArgs(
            name=azure.operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
        ),
        retention_in_days=30,
        tags=at.tags,
        opts=at.child(),
    )
    insights = azure.applicationinsights
    return insights.Component(
        at.called("insights"),
        resource_group_name=at.group,
        location=at.location,
        kind="web",
        application_type=insights.ApplicationType.WEB,
        ingestion_mode=insights.IngestionMode.LOG_ANALYTICS,
        workspace_resource_id=logs.id,
        tags=at.tags,
        opts=at.child(),
    )


def access(public: bool) -> azure.machinelearningservices.PublicNetworkAccessType:
    if public:
        return _ml.PublicNetworkAccessType.ENABLED
    return _ml.PublicNetworkAccessType.DISABLED


def _global_name(base: str, limit: int, *, alnum: bool) -> str:
    """A globally unique name for storage (lowercase alnum) or key vault (alnum and '-'),
    stable for ``base``: a prefix of it plus a short hash."""
    digest = hashlib.blake2b(base.encode(), digest_size=3).hexdigest()
    allowed = r"[^a-z0-9]" if alnum else r"[^a-z0-9-]"
    prefix = re.sub(r"-+", "-", re.sub(allowed, "", base.lower())).strip("-")
    if not prefix or not prefix[0].isalpha():
        prefix = f"ml{prefix}"
    return f"{prefix[: limit - len(digest) - 1].rstrip('-')}{'' if alnum else '-'}{digest}"
