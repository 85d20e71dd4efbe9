"""Azure targets publish their wiring (auth, reach, grants), private ones get a private
endpoint with DNS, and ``assign_grant`` turns a published Grant into the role assignment.
Every fixture runs the real component under the recording mock engine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.azure.azure_ml_endpoint import (
    AML_SCOPE,
    DATA_SCIENTIST_ROLE,
    AzureMlEndpoint,
    AzureMlEndpointArgs,
)
from inferplane.components.azure.azure_openai import (
    OPENAI_SCOPE,
    OPENAI_USER_ROLE,
    AzureOpenAI,
    AzureOpenAIArgs,
)
from inferplane.components.azure.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
)
from inferplane.components.azure.network import AzureNetwork, AzureNetworkArgs
from inferplane.components.azure.roles import assign_grant, azure_grant
from inferplane.components.container import ContainerSpec
from tests.support.recording import component_outputs, only, record, refusal

PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
SUBNET = "azure-native:network:Subnet"
ROLE = "azure-native:authorization:RoleAssignment"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ROLES = f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"

GPT = AzureOpenAIArgs(
    location="westeurope",
    custom_subdomain="prod-gpt",
    model="gpt-4o-mini",
    deployment_name="gpt-4o-mini",
)
MISTRAL = AzureMlEndpointArgs(
    location="westeurope",
    workspace_name="prod-mistral",
    endpoint_name="prod-mistral",
    model="azureml://registries/azureml/models/mistral/versions/5",
)


def _network() -> AzureNetwork:
    return AzureNetwork("net", AzureNetworkArgs(location="swedencentral"))


def _private_openai() -> None:
    AzureOpenAI("gpt", replace(GPT, private_network=_network()))


def _private_ml() -> None:
    AzureMlEndpoint("mistral", replace(MISTRAL, private_network=_network()))


def test_private_openai_publishes_entra_auth_private_endpoint_reach_and_user_role() -> None:
    endpoint = component_outputs(record(_private_openai), "inferplane:azure:AzureOpenAI")
    assert endpoint["endpoint"] == {
        "backend": "azure_openai",
        "model": "gpt-4o-mini",
        "url": "https://prod-gpt.openai.azure.com",
        "region": "westeurope",
        "auth": {"scheme": "azure_entra", "scope": "https://cognitiveservices.azure.com/.default"},
        "reach": {"path": "private_endpoint", "network": "net-vnet-id"},
        "grants": [
            {
                "cloud": "azure",
                "actions": ["5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"],
                "resources": ["gpt-account-id"],
            }
        ],
    }
    assert OPENAI_SCOPE == "https://cognitiveservices.azure.com/.default"


def test_private_openai_gets_a_private_endpoint_in_the_vnet_with_its_dns_zone() -> None:
    graph = record(_private_openai)
    endpoint = only(graph, PE).inputs
    # Private Link crosses regions: the endpoint sits in the VNet's region.
    assert endpoint["location"] == "swedencentral"
    assert endpoint["subnet"]["id"] == "net-private-endpoints-id"
    assert endpoint["privateLinkServiceConnections"] == [
        {"name": "gpt-pe", "privateLinkServiceId": "gpt-account-id", "groupIds": ["account"]}
    ]
    group = only(graph, ZONE_GROUP).inputs
    assert group["privateEndpointName"] == "gpt-pe"
    assert group["privateDnsZoneConfigs"] == [
        {
            "name": "privatelink-openai-azure-com",
            "privateDnsZoneId": "net-privatelink-openai-azure-com-id",
        }
    ]
    assert only(graph, ZONE).inputs["privateZoneName"] == "privatelink.openai.azure.com"
    link = only(graph, LINK).inputs
    assert link["virtualNetwork"] == {"id": "net-vnet-id"}
    assert link["registrationEnabled"] is False


def test_finding_public_access_off_without_a_private_endpoint_is_refused() -> None:
    # Old main created the account with public access off and no private endpoint.
    error, graph = refusal(lambda: AzureOpenAI("gpt", GPT))
    assert "public_network_access is off and there is no private_network" in str(error)
    assert graph.resources == []
    error, graph = refusal(lambda: AzureMlEndpoint("mistral", MISTRAL))
    assert "public_network_access is off and there is no private_network" in str(error)
    assert graph.resources == []


def test_public_openai_is_reached_publicly_without_a_private_endpoint() -> None:
    graph = record(lambda: AzureOpenAI("gpt", replace(GPT, public_network_access=True)))
    endpoint = component_outputs(graph, "inferplane:azure:AzureOpenAI")["endpoint"]
    assert endpoint["reach"] == {"path": "public"}
    assert endpoint["auth"]["scheme"] == "azure_entra"
    assert graph.by_type(PE) == []


def test_private_ml_endpoint_publishes_ml_scope_and_scoring_role_on_the_endpoint() -> None:
    graph = record(_private_ml)
    endpoint = component_outputs(graph, "inferplane:azure:AzureMlEndpoint")["endpoint"]
    assert endpoint["auth"] == {"scheme": "azure_entra", "scope": "https://ml.azure.com/.default"}
    assert endpoint["reach"] == {"path": "private_endpoint", "network": "net-vnet-id"}
    assert endpoint["grants"] == [
        {
            "cloud": "azure",
            "actions": ["f6c7c914-8db3-469d-8ca1-694a8f32e121"],
            "resources": ["mistral-endpoint-id"],
        }
    ]
    assert AML_SCOPE == "https://ml.azure.com/.default"
    assert (
        only(graph, "azure-native:machinelearningservices:OnlineEndpoint").inputs["properties"][
            "authMode"
        ]
        == "AADToken"
    )


def test_private_ml_workspace_endpoint_writes_both_azureml_zones() -> None:
    graph = record(_private_ml)
    endpoint = only(graph, PE).inputs
    assert endpoint["privateLinkServiceConnections"] == [
        {
            "name": "mistral-pe",
            "privateLinkServiceId": "mistral-workspace-id",
            "groupIds": ["amlworkspace"],
        }
    ]
    assert {z.inputs["privateZoneName"] for z in graph.by_type(ZONE)} == {
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
    }
    assert len(graph.by_type(LINK)) == 2
    configs = only(graph, ZONE_GROUP).inputs["privateDnsZoneConfigs"]
    assert [c["privateDnsZoneId"] for c in configs] == [
        "net-privatelink-api-azureml-ms-id",
        "net-privatelink-notebooks-azure-net-id",
    ]


def test_key_auth_ml_endpoint_publishes_no_grant_and_refuses_role_assignments() -> None:
    def program() -> None:
        AzureMlEndpoint("mistral", replace(MISTRAL, auth="key", public_network_access=True))

    endpoint = component_outputs(record(program), "inferplane:azure:AzureMlEndpoint")["endpoint"]
    assert "auth" not in endpoint
    assert endpoint["grants"] == []

    def caller() -> None:
        args = replace(MISTRAL, auth="key", public_network_access=True)
        AzureMlEndpoint("mistral", args).allow_caller("router", PRINCIPAL)

    error, _ = refusal(caller)
    assert "auth 'key' on 'mistral'" in str(error)


def test_two_private_targets_share_one_zone_per_name() -> None:
    def program() -> None:
        network = _network()
        AzureOpenAI("a", replace(GPT, custom_subdomain="prod-a", private_network=network))
        AzureOpenAI("b", replace(GPT, custom_subdomain="prod-b", private_network=network))

    graph = record(program)
    assert len(graph.by_type(PE)) == 2
    assert [z.name for z in graph.by_type(ZONE)] == ["net-privatelink-openai-azure-com"]
    assert len(graph.by_type(LINK)) == 1


def test_network_has_a_delegated_apps_subnet_and_a_private_endpoint_subnet() -> None:
    graph = record(_network)
    subnets = {s.inputs["subnetName"]: s.inputs for s in graph.by_type(SUBNET)}
    assert set(subnets) == {"apps", "private-endpoints"}
    assert subnets["apps"]["addressPrefix"] == "10.40.0.0/23"
    assert subnets["apps"]["delegations"] == [
        {"name": "apps", "serviceName": "Microsoft.App/environments"}
    ]
    assert subnets["private-endpoints"]["addressPrefix"] == "10.40.8.0/24"
    vnet = only(graph, "azure-native:network:VirtualNetwork").inputs
    assert vnet["addressSpace"] == {"addressPrefixes": ["10.40.0.0/16"]}
    assert vnet["location"] == "swedencentral"


def test_network_refuses_a_non_private_address_space() -> None:
    error, graph = refusal(
        lambda: AzureNetwork("net", AzureNetworkArgs("westeurope", address_space="8.8.0.0/16"))
    )
    assert "address_space '8.8.0.0/16' is not allowed" in str(error)
    assert graph.resources == []


PHI = ContainerAppServiceArgs(
    location="swedencentral",
    app_name="prod-phi",
    container=ContainerSpec(image="vllm/vllm-openai:v0.11.0", port=8000),
    model="phi",
)


def test_internal_container_app_is_reached_inside_its_environment_without_auth() -> None:
    graph = record(lambda: ContainerAppService("phi", PHI))
    endpoint = component_outputs(graph, "inferplane:azure:ContainerAppService")["endpoint"]
    assert endpoint["auth"] == {"scheme": "none"}
    assert endpoint["reach"] == {"path": "vpc", "network": "phi-environment-id"}
    assert endpoint["grants"] == []


def test_external_container_app_is_public() -> None:
    graph = record(lambda: ContainerAppService("phi", replace(PHI, external=True)))
    endpoint = component_outputs(graph, "inferplane:azure:ContainerAppService")["endpoint"]
    assert endpoint["reach"] == {"path": "public"}


def test_environment_in_a_subnet_is_vnet_integrated_and_internal() -> None:
    def program() -> None:
        network = _network()
        ContainerAppService(
            "phi",
            replace(
                PHI, infrastructure_subnet_id=network.apps_subnet_id, internal_environment=True
            ),
        )

    environment = only(record(program), "azure-native:app:ManagedEnvironment").inputs
    assert environment["vnetConfiguration"] == {
        "infrastructureSubnetId": "net-apps-id",
        "internal": True,
    }


def test_internal_environment_without_a_subnet_is_refused() -> None:
    error, _ = refusal(lambda: ContainerAppService("phi", replace(PHI, internal_environment=True)))
    assert "internal_environment needs infrastructure_subnet_id" in str(error)


@pytest.mark.parametrize(
    ("component", "role", "scope"),
    [
        (_private_openai, OPENAI_USER_ROLE, "gpt-account-id"),
        (_private_ml, DATA_SCIENTIST_ROLE, "mistral-endpoint-id"),
    ],
)
def test_assign_grant_turns_the_published_grant_into_the_role_assignment(
    component: Any, role: str, scope: str
) -> None:
    def program() -> None:
        component()

    graph = record(program)
    [target] = [
        r
        for r in graph.resources
        if r.type.startswith("inferplane:azure:Azure") and "endpoint" in r.outputs
    ]
    [grant] = target.outputs["endpoint"]["grants"]

    assignment = only(
        record(lambda: assign_grant(_owner(), "router-role", grant, PRINCIPAL)), ROLE
    ).inputs
    assert assignment == {
        "principalId": PRINCIPAL,
        "principalType": "ServicePrincipal",
        "roleDefinitionId": f"{ROLES}/{role}",
        "scope": scope,
    }


def _owner() -> Any:
    import pulumi

    return pulumi.ComponentResource("test:index:Owner", "owner")


def test_assign_grant_refuses_a_grant_that_is_not_one_azure_role() -> None:
    aws = {"cloud": "aws", "actions": ["bedrock:InvokeModel"], "resources": ["arn:aws:x"]}
    error, graph = refusal(lambda: assign_grant(_owner(), "bad", aws, PRINCIPAL))  # type: ignore[arg-type]
    assert "an Azure role assignment needs cloud 'azure'" in str(error)
    assert graph.by_type(ROLE) == []
    with pytest.raises(ValueError, match="role_id 'Reader' is not allowed"):
        azure_grant("Reader", "scope")


def test_allow_caller_goes_through_the_published_grant() -> None:
    def program() -> None:
        AzureOpenAI("gpt", replace(GPT, private_network=_network())).allow_caller(
            "router", PRINCIPAL
        )

    assignment = only(record(program), ROLE)
    assert assignment.name == "gpt-caller-router"
    assert assignment.inputs["roleDefinitionId"].endswith(OPENAI_USER_ROLE)
    assert assignment.inputs["scope"] == "gpt-account-id"
