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

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.azure_ml_args import (
    AUTH_MODES,
    SCALE_METRICS,
    AzureMlEndpointArgs,
    check_args,
)
from inferplane.components.azure.azure_ml_workspace import access, ml_workspace
from inferplane.components.azure.group import Placement, place
from inferplane.components.azure.network import (
    AML_ZONES,
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
_ml = azure.machinelearningservices
_mon = azure.monitor


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
        check_args(args)
        super().__init__("inferplane:azure:AzureMlEndpoint", name, None, opts)
        self._name = name
        at = place(self, name, args.location, args.tags, args.resource_group_name)
        self.workspace = ml_workspace(at, args)
        self.online_endpoint = self._online_endpoint(at, args)
        self.deployment = self._deployment(at, args)
        self.autoscale = self._autoscale(at, args)
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
                at.tags,
            )
        reach = private_reach(args.private_network, args.public_network_access)
        self.azure_grants = self._grants(args)
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

    def _online_endpoint(
        self, at: Placement, args: AzureMlEndpointArgs
    ) -> azure.machinelearningservices.OnlineEndpoint:
        return _ml.OnlineEndpoint(
            at.called("endpoint"),
            endpoint_name=args.endpoint_name,
            resource_group_name=at.group,
            workspace_name=self.workspace.name,
            location=at.location,
            identity=_ml.ManagedServiceIdentityArgs(
                type=_ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            ),
            properties=_ml.OnlineEndpointPropertiesArgs(
                auth_mode=AUTH_MODES[args.auth],
                public_network_access=access(args.public_network_access),
            ),
            tags=at.tags,
            opts=at.child(),
        )

    def _grants(self, args: AzureMlEndpointArgs) -> list[pulumi.Output[Grant]]:
        # Key auth: the key lives in the endpoint and no secret reference to it exists
        # yet, so no caller auth is published (the wiring rules flag scheme "none").
        if args.auth != "aad_token":
            return []
        return [self.online_endpoint.id.apply(lambda i: azure_grant(DATA_SCIENTIST_ROLE, i))]

    def _deployment(
        self, at: Placement, args: AzureMlEndpointArgs
    ) -> azure.machinelearningservices.OnlineDeployment:
        return _ml.OnlineDeployment(
            at.called("deployment"),
            deployment_name=args.deployment_name,
            endpoint_name=self.online_endpoint.name,
            resource_group_name=at.group,
            workspace_name=self.workspace.name,
            location=at.location,
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
                egress_public_network_access=access(args.public_network_access),
                app_insights_enabled=True,
                environment_variables=dict(args.environment_variables) or None,
            ),
            tags=at.tags,
            opts=at.child(),
        )

    def _autoscale(
        self, at: Placement, args: AzureMlEndpointArgs
    ) -> azure.monitor.AutoscaleSetting | None:
        if args.max_instances == args.min_instances:
            return None
        target = self.deployment.id
        rules = [
            _scale_rule(target, args, scale_out=True),
            _scale_rule(target, args, scale_out=False),
        ]
        return _mon.AutoscaleSetting(
            at.called("autoscale"),
            resource_group_name=at.group,
            location=at.location,
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
            tags=at.tags,
            opts=at.child(),
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
