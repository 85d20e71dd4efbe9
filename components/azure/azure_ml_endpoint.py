"""Managed hosting on Azure: a model on an Azure ML managed online endpoint.

Creates the workspace with the dependencies Azure ML requires (storage account, key vault,
Application Insights on a Log Analytics workspace), a managed online endpoint (key or
Microsoft Entra token auth; public network access disabled by default), one managed
online deployment (instance type, instance count) and an Azure Monitor autoscale setting
on it: managed deployments accept only the ``Default`` scale type, so target-utilisation
scaling between min and max instances is done by Azure Monitor, as Azure ML documents.

Assumed, not created: a container registry (Azure ML creates one on first custom
environment build; registry models bring their own curated environment).

With public network access off, the endpoint is scored through the workspace's private
endpoint (group ``amlworkspace``) in ``private_network`` (the caller's VNet,
components.azure.network), with records in ``privatelink.api.azureml.ms`` and
``privatelink.notebooks.azure.net``; without one nothing could reach it, so that
combination is refused.

Wiring (docs/wiring.md): with ``aad_token`` auth, callers send an Entra token for the
Azure ML scope and need a role with ``onlineEndpoints/score/action`` ("AzureML Data
Scientist") on the endpoint; ``endpoint`` publishes both, and how it is reached.

The endpoint starts with no traffic split: azure-native has no separate traffic resource
and an endpoint cannot name a deployment that does not exist yet. Callers address the
deployment with the ``azureml-model-deployment`` header, which Azure ML honours
regardless of the split; the endpoint info's ``model`` is that deployment name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.group import resource_group_name
from inferplane.components.azure.network import (
    AML_ZONES,
    AzureNetwork,
    private_endpoint,
    private_reach,
)
from inferplane.components.azure.roles import assign_grant, azure_grant
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.wiring import Grant, Reach

__all__ = ["AML_SCOPE", "DATA_SCIENTIST_ROLE", "AzureMlEndpoint", "AzureMlEndpointArgs"]

DATA_SCIENTIST_ROLE = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
"""Built-in role "AzureML Data Scientist": includes
``Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action`` (role
definition ID from Azure's built-in roles list)."""
AML_SCOPE = "https://ml.azure.com/.default"
"""Entra token scope of Azure ML online endpoint scoring (``aad_token`` auth mode)."""
AUTH_MODES = {"key": "Key", "aad_token": "AADToken"}
SCALE_METRICS = {"cpu": "CpuUtilizationPercentage", "gpu": "GpuUtilizationPercentage"}
_ENDPOINT = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")
_WORKSPACE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")
_DEPLOYMENT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,31}$")
_INSTANCE = re.compile(r"^Standard_\w+$")
_ml = azure.machinelearningservices
_mon = azure.monitor


@dataclass
class AzureMlEndpointArgs:
    location: str
    """Azure region."""
    workspace_name: str
    """Workspace name (3-33 letters, digits, '_' and '-'); storage and key vault names
    derive from it."""
    endpoint_name: str
    """Endpoint name, unique in the region (3-32 letters, digits and '-')."""
    model: str
    """Model asset ID, e.g. ``azureml://registries/azureml/models/<name>/versions/<v>``."""
    instance_type: str = "Standard_NC24ads_A100_v4"
    """VM size of each instance."""
    deployment_name: str = "primary"
    """Name of the deployment on the endpoint."""
    auth: Literal["key", "aad_token"] = "aad_token"
    """Endpoint keys, or Microsoft Entra tokens."""
    min_instances: int = 1
    """Instances always running (managed deployments keep at least 1)."""
    max_instances: int = 1
    """Autoscale upper bound; equal to ``min_instances`` means no autoscale setting."""
    target_utilization: int = 70
    """Scale out above this utilisation (percent); scale in below half of it."""
    scale_metric: Literal["cpu", "gpu"] = "gpu"
    """Utilisation the autoscale setting tracks."""
    max_concurrent_requests: int = 1
    """Requests one instance receives at once (raise it for batching model servers)."""
    request_timeout_s: int = 90
    """Scoring request timeout in seconds (Azure ML allows up to 180)."""
    environment_variables: Mapping[str, str] = field(default_factory=dict)
    """Extra environment of the scoring container."""
    public_network_access: bool = False
    """Let the endpoint and workspace be reached from the internet."""
    private_network: AzureNetwork | None = None
    """The VNet whose private endpoint reaches the workspace (and so the endpoint);
    required when public network access is off."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``)."""


class AzureMlEndpoint(TargetComponent):
    """An Azure ML workspace, a managed online endpoint and one deployment on it."""

    scoring_url: pulumi.Output[str]
    """``https://<endpoint>.<region>.inference.ml.azure.com``."""
    endpoint_id: pulumi.Output[str]
    """ARM ID of the online endpoint (scope for role assignments)."""
    azure_grants: list[pulumi.Output[Grant]]
    """What a caller must be granted (``assign_grant`` turns each into a role assignment);
    empty with key auth."""

    def __init__(
        self, name: str, args: AzureMlEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:azure:AzureMlEndpoint", name, None, opts)
        self._name = name
        tags = dict(args.tags)
        group = resource_group_name(self, name, args.location, tags, args.resource_group_name)
        self.workspace = self._workspace(name, args, group, tags)
        self.online_endpoint = _ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            resource_group_name=group,
            workspace_name=self.workspace.name,
            location=args.location,
            identity=_ml.ManagedServiceIdentityArgs(
                type=_ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            ),
            properties=_ml.OnlineEndpointPropertiesArgs(
                auth_mode=AUTH_MODES[args.auth],
                public_network_access=_access(args.public_network_access),
            ),
            tags=tags,
            opts=self.child(),
        )
        self.deployment = self._deployment(name, args, group, tags)
        self.autoscale = self._autoscale(name, args, group, tags)
        self.endpoint_id = self.online_endpoint.id
        self.scoring_url = pulumi.Output.concat(
            "https://", self.online_endpoint.name, f".{args.location}.inference.ml.azure.com"
        )
        if args.private_network is not None:
            self.private_endpoint = private_endpoint(
                self,
                f"{name}-pe",
                args.private_network,
                self.workspace.id,
                "amlworkspace",
                AML_ZONES,
                tags,
            )
        reach = private_reach(args.private_network, args.public_network_access)
        # Key auth: the key lives in the endpoint and no secret reference to it exists
        # yet, so no caller auth is published (the wiring rules flag scheme "none").
        self.azure_grants = (
            [self.online_endpoint.id.apply(lambda i: azure_grant(DATA_SCIENTIST_ROLE, i))]
            if args.auth == "aad_token"
            else []
        )
        self.endpoint = pulumi.Output.all(self.scoring_url, reach, *self.azure_grants).apply(
            lambda parts: _endpoint_info(args, parts[0], parts[1], list(parts[2:]))
        )
        self.register_target_outputs(endpoint_id=self.endpoint_id, scoring_url=self.scoring_url)

    def allow_caller(
        self, role_name: str, principal_id: pulumi.Input[str]
    ) -> azure.authorization.RoleAssignment:
        """Let ``principal_id`` (e.g. the router's managed identity) score the endpoint."""
        if not self.azure_grants:
            raise ValueError(
                f"auth 'key' on {self._name!r}: role assignments do not apply; use "
                "auth 'aad_token' to let a managed identity score the endpoint"
            )
        return assign_grant(
            self, f"{self._name}-caller-{role_name}", self.azure_grants[0], principal_id
        )

    def _workspace(
        self,
        name: str,
        args: AzureMlEndpointArgs,
        group: pulumi.Input[str],
        tags: dict[str, str],
    ) -> azure.machinelearningservices.Workspace:
        tenant = azure.authorization.get_client_config_output().tenant_id
        private = not args.public_network_access
        storage = azure.storage.StorageAccount(
            f"{name}-storage",
            account_name=_global_name(args.workspace_name, 24, alnum=True),
            resource_group_name=group,
            location=args.location,
            kind=azure.storage.Kind.STORAGE_V2,
            sku=azure.storage.SkuArgs(name=azure.storage.SkuName.STANDARD_LRS),
            allow_blob_public_access=False,
            minimum_tls_version=azure.storage.MinimumTlsVersion.TLS1_2,
            enable_https_traffic_only=True,
            network_rule_set=azure.storage.NetworkRuleSetArgs(
                default_action=azure.storage.DefaultAction.DENY
                if private
                else azure.storage.DefaultAction.ALLOW,
                bypass="AzureServices",
            ),
            tags=tags,
            opts=self.child(),
        )
        vault = azure.keyvault.Vault(
            f"{name}-vault",
            vault_name=_global_name(args.workspace_name, 24, alnum=False),
            resource_group_name=group,
            location=args.location,
            properties=azure.keyvault.VaultPropertiesArgs(
                tenant_id=tenant,
                sku=azure.keyvault.SkuArgs(
                    family=azure.keyvault.SkuFamily.A, name=azure.keyvault.SkuName.STANDARD
                ),
                enable_rbac_authorization=True,
                enable_purge_protection=True,
                enable_soft_delete=True,
                public_network_access="Disabled" if private else "Enabled",
                network_acls=azure.keyvault.NetworkRuleSetArgs(
                    default_action="Deny" if private else "Allow", bypass="AzureServices"
                ),
            ),
            tags=tags,
            opts=self.child(),
        )
        logs = azure.operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=group,
            location=args.location,
            sku=azure.operationalinsights.WorkspaceSkuArgs(
                name=azure.operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
            ),
            retention_in_days=30,
            tags=tags,
            opts=self.child(),
        )
        insights = azure.applicationinsights.Component(
            f"{name}-insights",
            resource_group_name=group,
            location=args.location,
            kind="web",
            application_type=azure.applicationinsights.ApplicationType.WEB,
            ingestion_mode=azure.applicationinsights.IngestionMode.LOG_ANALYTICS,
            workspace_resource_id=logs.id,
            tags=tags,
            opts=self.child(),
        )
        return _ml.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=group,
            location=args.location,
            identity=_ml.ManagedServiceIdentityArgs(
                type=_ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            ),
            storage_account=storage.id,
            key_vault=vault.id,
            application_insights=insights.id,
            public_network_access=_access(args.public_network_access),
            sku=_ml.SkuArgs(name="Basic", tier=_ml.SkuTier.BASIC),
            tags=tags,
            opts=self.child(),
        )

    def _deployment(
        self,
        name: str,
        args: AzureMlEndpointArgs,
        group: pulumi.Input[str],
        tags: dict[str, str],
    ) -> azure.machinelearningservices.OnlineDeployment:
        return _ml.OnlineDeployment(
            f"{name}-deployment",
            deployment_name=args.deployment_name,
            endpoint_name=self.online_endpoint.name,
            resource_group_name=group,
            workspace_name=self.workspace.name,
            location=args.location,
            sku=_ml.SkuArgs(name="Default", capacity=args.min_instances),
            properties=_ml.ManagedOnlineDeploymentArgs(
                endpoint_compute_type="Managed",
                model=args.model,
                instance_type=args.instance_type,
                scale_settings=_ml.DefaultScaleSettingsArgs(scale_type="Default"),
                request_settings=_ml.OnlineRequestSettingsArgs(
                    max_concurrent_requests_per_instance=args.max_concurrent_requests,
                    request_timeout=f"PT{args.request_timeout_s}S",
                ),
                egress_public_network_access=_access(args.public_network_access),
                app_insights_enabled=True,
                environment_variables=dict(args.environment_variables) or None,
            ),
            tags=tags,
            opts=self.child(),
        )

    def _autoscale(
        self,
        name: str,
        args: AzureMlEndpointArgs,
        group: pulumi.Input[str],
        tags: dict[str, str],
    ) -> azure.monitor.AutoscaleSetting | None:
        if args.max_instances == args.min_instances:
            return None
        target = self.deployment.id
        rules = [
            _scale_rule(target, args, scale_out=True),
            _scale_rule(target, args, scale_out=False),
        ]
        return _mon.AutoscaleSetting(
            f"{name}-autoscale",
            resource_group_name=group,
            location=args.location,
            target_resource_uri=target,
            enabled=True,
            profiles=[
                _mon.AutoscaleProfileArgs(
                    name="utilization",
                    capacity=_mon.ScaleCapacityArgs(
                        minimum=str(args.min_instances),
                        maximum=str(args.max_instances),
                        default=str(args.min_instances),
                    ),
                    rules=rules,
                )
            ],
            tags=tags,
            opts=self.child(),
        )


def _scale_rule(
    target: pulumi.Input[str], args: AzureMlEndpointArgs, *, scale_out: bool
) -> azure.monitor.ScaleRuleArgs:
    # Scale in well below the target so the count does not flap around it.
    return _mon.ScaleRuleArgs(
        metric_trigger=_mon.MetricTriggerArgs(
            metric_name=SCALE_METRICS[args.scale_metric],
            metric_resource_uri=target,
            operator=_mon.ComparisonOperationType.GREATER_THAN
            if scale_out
            else _mon.ComparisonOperationType.LESS_THAN,
            statistic=_mon.MetricStatisticType.AVERAGE,
            threshold=args.target_utilization if scale_out else args.target_utilization // 2,
            time_aggregation=_mon.TimeAggregationType.AVERAGE,
            time_grain="PT1M",
            time_window="PT5M",
        ),
        scale_action=_mon.ScaleActionArgs(
            cooldown="PT5M",
            direction=_mon.ScaleDirection.INCREASE if scale_out else _mon.ScaleDirection.DECREASE,
            type=_mon.ScaleType.CHANGE_COUNT,
            value="1",
        ),
    )


def _endpoint_info(
    args: AzureMlEndpointArgs, scoring_url: str, reach: Reach, grants: list[Grant]
) -> EndpointInfo:
    info = EndpointInfo(
        backend="openai",
        model=args.deployment_name,
        url=f"{scoring_url}/v1",
        endpoint_name=args.endpoint_name,
        region=args.location,
        reach=reach,
        grants=grants,
    )
    if args.auth == "aad_token":
        info["auth"] = {"scheme": "azure_entra", "scope": AML_SCOPE}
    return info


def _check(args: AzureMlEndpointArgs) -> None:
    if args.auth not in AUTH_MODES:
        raise ValueError(f"auth {args.auth!r} is not allowed; allowed: {', '.join(AUTH_MODES)}")
    if args.scale_metric not in SCALE_METRICS:
        raise ValueError(
            f"scale_metric {args.scale_metric!r} is not allowed; allowed: "
            f"{', '.join(SCALE_METRICS)}"
        )
    for key, pattern, rule in (
        ("workspace_name", _WORKSPACE, "3-33 letters, digits, '_' and '-'"),
        ("endpoint_name", _ENDPOINT, "3-32 letters, digits and '-', starting with a letter"),
        ("deployment_name", _DEPLOYMENT, "3-32 letters, digits and '-'"),
        ("instance_type", _INSTANCE, "a VM size like Standard_NC24ads_A100_v4"),
    ):
        value = getattr(args, key)
        if not pattern.match(value):
            raise ValueError(f"{key} {value!r} is not allowed; use {rule}")
    if not 1 <= args.min_instances <= args.max_instances:
        raise ValueError(
            f"min_instances {args.min_instances} / max_instances {args.max_instances} are not "
            "allowed; need 1 <= min_instances <= max_instances"
        )
    if not 2 <= args.target_utilization <= 100:
        raise ValueError(
            f"target_utilization {args.target_utilization} is not allowed; use 2-100 (percent)"
        )
    if not 1 <= args.request_timeout_s <= 180:
        raise ValueError(f"request_timeout_s {args.request_timeout_s} is not allowed; use 1-180")
    if args.max_concurrent_requests < 1:
        raise ValueError(
            f"max_concurrent_requests {args.max_concurrent_requests} is not allowed; use >= 1"
        )

    if not args.public_network_access and args.private_network is None:
        raise ValueError(
            "public_network_access is off and there is no private_network: nothing could "
            "reach the endpoint; give the VNet for the workspace's private endpoint, or "
            "turn public access on (callers still need an Entra token)"
        )


def _access(public: bool) -> azure.machinelearningservices.PublicNetworkAccessType:
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
