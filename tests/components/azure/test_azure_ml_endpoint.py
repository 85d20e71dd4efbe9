from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.azure.azure_ml_endpoint import AzureMlEndpoint, AzureMlEndpointArgs
from inferplane.components.azure.network import AzureNetwork, AzureNetworkArgs
from tests.support.recording import component_outputs, only, record, refusal

ML = "azure-native:machinelearningservices"
COMPONENT = "inferplane:azure:AzureMlEndpoint"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"

MISTRAL = AzureMlEndpointArgs(
    location="westeurope",
    workspace_name="prod-westeurope-ml",
    endpoint_name="prod-mistral",
    model="azureml://registries/azureml/models/mistralai-Mistral-7B-Instruct-v01/versions/5",
    instance_type="Standard_NC24ads_A100_v4",
    min_instances=1,
    max_instances=3,
    target_utilization=70,
    tags={"environment": "prod"},
)


def _run(args: AzureMlEndpointArgs) -> Any:
    """``args`` recorded; a private target gets the VNet its private endpoint needs."""

    def program() -> None:
        network = None
        if not args.public_network_access:
            network = AzureNetwork("net", AzureNetworkArgs(location=args.location))
        AzureMlEndpoint("mistral", replace(args, private_network=network))

    return record(program)


def test_workspace_with_dependencies_endpoint_deployment_and_autoscale() -> None:
    graph = _run(MISTRAL)

    assert graph.type_counts() == {
        COMPONENT: 1,
        "azure-native:resources:ResourceGroup": 2,
        # The VNet the private endpoint lives in (components.azure.network).
        "inferplane:azure:AzureNetwork": 1,
        "azure-native:network:VirtualNetwork": 1,
        "azure-native:network:Subnet": 2,
        "azure-native:network:PrivateEndpoint": 1,
        "azure-native:network:PrivateDnsZoneGroup": 1,
        "azure-native:privatedns:PrivateZone": 2,
        "azure-native:privatedns:VirtualNetworkLink": 2,
        "azure-native:storage:StorageAccount": 1,
        "azure-native:keyvault:Vault": 1,
        "azure-native:operationalinsights:Workspace": 1,
        "azure-native:applicationinsights:Component": 1,
        f"{ML}:Workspace": 1,
        f"{ML}:OnlineEndpoint": 1,
        f"{ML}:OnlineDeployment": 1,
        AUTOSCALE: 1,
    }
    workspace = only(graph, f"{ML}:Workspace").inputs
    assert workspace["publicNetworkAccess"] == "Disabled"
    assert workspace["storageAccount"] == "mistral-storage-id"
    assert workspace["keyVault"] == "mistral-vault-id"
    assert workspace["applicationInsights"] == "mistral-insights-id"
    storage = only(graph, "azure-native:storage:StorageAccount").inputs
    assert storage["allowBlobPublicAccess"] is False
    assert storage["networkRuleSet"]["defaultAction"] == "Deny"
    assert len(storage["accountName"]) <= 24
    assert storage["accountName"].isalnum()
    vault = only(graph, "azure-native:keyvault:Vault").inputs
    assert vault["properties"]["publicNetworkAccess"] == "Disabled"
    assert vault["properties"]["enableRbacAuthorization"] is True
    assert len(vault["vaultName"]) <= 24


def test_endpoint_is_private_with_token_auth() -> None:
    endpoint = only(_run(MISTRAL), f"{ML}:OnlineEndpoint").inputs
    assert endpoint["properties"] == {"authMode": "AADToken", "publicNetworkAccess": "Disabled"}
    keyed = only(_run(replace(MISTRAL, auth="key")), f"{ML}:OnlineEndpoint").inputs
    assert keyed["properties"]["authMode"] == "Key"


def test_managed_deployment_instance_type_and_scale() -> None:
    graph = _run(MISTRAL)
    deployment = only(graph, f"{ML}:OnlineDeployment").inputs
    props = deployment["properties"]
    assert props["endpointComputeType"] == "Managed"
    assert props["instanceType"] == "Standard_NC24ads_A100_v4"
    assert props["model"] == MISTRAL.model
    assert props["scaleSettings"] == {"scaleType": "Default"}
    assert props["egressPublicNetworkAccess"] == "Disabled"
    assert deployment["sku"] == {"name": "Default", "capacity": 1}

    autoscale = only(graph, AUTOSCALE).inputs
    assert autoscale["targetResourceUri"] == "mistral-deployment-id"
    [profile] = autoscale["profiles"]
    assert profile["capacity"] == {"minimum": "1", "maximum": "3", "default": "1"}
    out, scale_in = profile["rules"]
    assert out["metricTrigger"]["metricName"] == "GpuUtilizationPercentage"
    assert (out["metricTrigger"]["operator"], out["metricTrigger"]["threshold"]) == (
        "GreaterThan",
        70,
    )
    assert out["scaleAction"]["direction"] == "Increase"
    assert (scale_in["metricTrigger"]["operator"], scale_in["metricTrigger"]["threshold"]) == (
        "LessThan",
        35,
    )


def test_fixed_size_has_no_autoscale() -> None:
    graph = _run(replace(MISTRAL, max_instances=1))
    assert graph.by_type(AUTOSCALE) == []


def test_endpoint_info_points_at_the_scoring_host_and_deployment() -> None:
    endpoint = component_outputs(_run(MISTRAL), COMPONENT)["endpoint"]
    assert endpoint == {
        "backend": "openai",
        "model": "primary",
        "url": "https://prod-mistral.westeurope.inference.ml.azure.com/v1",
        "endpoint_name": "prod-mistral",
        "region": "westeurope",
        "auth": {"scheme": "azure_entra", "scope": "https://ml.azure.com/.default"},
        "reach": {"path": "private_endpoint", "network": "net-vnet-id"},
        "grants": [
            {
                "cloud": "azure",
                "actions": ["f6c7c914-8db3-469d-8ca1-694a8f32e121"],
                "resources": ["mistral-endpoint-id"],
            }
        ],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"auth": "amltoken"}, "auth 'amltoken' is not allowed"),
        ({"scale_metric": "memory"}, "scale_metric 'memory'"),
        ({"workspace_name": "ml"}, "workspace_name 'ml'"),
        ({"endpoint_name": "9mistral"}, "endpoint_name '9mistral'"),
        ({"deployment_name": "a"}, "deployment_name 'a'"),
        ({"instance_type": "NC24ads"}, "instance_type 'NC24ads'"),
        ({"min_instances": 0}, "min_instances 0 / max_instances 3"),
        ({"min_instances": 5}, "min_instances 5 / max_instances 3"),
        ({"target_utilization": 101}, "target_utilization 101"),
        ({"request_timeout_s": 600}, "request_timeout_s 600"),
        ({"max_concurrent_requests": 0}, "max_concurrent_requests 0"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    change: dict[str, Any], message: str
) -> None:
    error, graph = refusal(lambda: AzureMlEndpoint("mistral", replace(MISTRAL, **change)))
    assert message in str(error)
    assert graph.resources == []
