from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.azure.azure_openai import OPENAI_USER_ROLE, AzureOpenAI, AzureOpenAIArgs
from inferplane.components.azure.network import AzureNetwork, AzureNetworkArgs
from tests.support.recording import component_outputs, only, record, refusal

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
GROUP = "azure-native:resources:ResourceGroup"
COMPONENT = "inferplane:azure:AzureOpenAI"

GPT = AzureOpenAIArgs(
    location="westeurope",
    custom_subdomain="prod-westeurope-gpt",
    model="gpt-4o-mini",
    model_version="2024-07-18",
    deployment_name="gpt-4o-mini",
    sku="DataZoneStandard",
    capacity=50,
    tags={"environment": "prod"},
)


def _run(args: AzureOpenAIArgs) -> Any:
    """``args`` recorded; a private target gets the VNet its private endpoint needs."""

    def program() -> None:
        network = None
        if not args.public_network_access:
            network = AzureNetwork("net", AzureNetworkArgs(location=args.location))
        AzureOpenAI("gpt", replace(args, private_network=network))

    return record(program)


def test_private_openai_account_with_identity_and_subdomain() -> None:
    graph = _run(GPT)

    assert graph.type_counts() == {
        COMPONENT: 1,
        GROUP: 2,
        # The VNet the private endpoint lives in (components.azure.network).
        "inferplane:azure:AzureNetwork": 1,
        "azure-native:network:VirtualNetwork": 1,
        "azure-native:network:Subnet": 2,
        "azure-native:network:PrivateEndpoint": 1,
        "azure-native:network:PrivateDnsZoneGroup": 1,
        "azure-native:privatedns:PrivateZone": 1,
        "azure-native:privatedns:VirtualNetworkLink": 1,
        ACCOUNT: 1,
        DEPLOYMENT: 1,
    }
    account = only(graph, ACCOUNT).inputs
    assert account["kind"] == "OpenAI"
    assert account["accountName"] == "prod-westeurope-gpt"
    assert account["identity"] == {"type": "SystemAssigned"}
    props = account["properties"]
    assert props["customSubDomainName"] == "prod-westeurope-gpt"
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["disableLocalAuth"] is True
    assert props["networkAcls"] == {"defaultAction": "Deny"}


@pytest.mark.parametrize(
    ("sku", "capacity"),
    [
        ("Standard", 10),
        ("DataZoneStandard", 50),
        ("GlobalStandard", 100),
        ("ProvisionedManaged", 50),
        ("DataZoneProvisionedManaged", 15),
        ("GlobalProvisionedManaged", 15),
    ],
)
def test_sku_and_capacity_are_inputs_and_tags(sku: str, capacity: int) -> None:
    graph = _run(replace(GPT, sku=sku, capacity=capacity))

    deployment = only(graph, DEPLOYMENT).inputs
    assert deployment["sku"] == {"name": sku, "capacity": capacity}
    assert deployment["tags"] == {"environment": "prod", "openai-sku": sku}
    assert only(graph, ACCOUNT).inputs["tags"]["openai-sku"] == sku
    assert component_outputs(graph, COMPONENT)["sku"] == sku


def test_pinned_version_does_not_auto_upgrade() -> None:
    pinned = only(_run(GPT), DEPLOYMENT).inputs["properties"]
    assert pinned["model"] == {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}
    assert pinned["versionUpgradeOption"] == "NoAutoUpgrade"
    floating = only(_run(replace(GPT, model_version=None)), DEPLOYMENT).inputs["properties"]
    assert floating["versionUpgradeOption"] == "OnceNewDefaultVersionAvailable"


def test_endpoint_is_azure_openai_on_the_subdomain() -> None:
    endpoint = component_outputs(_run(GPT), COMPONENT)["endpoint"]
    assert endpoint == {
        "backend": "azure_openai",
        "model": "gpt-4o-mini",
        "url": "https://prod-westeurope-gpt.openai.azure.com",
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


def test_existing_group_and_public_access_when_asked() -> None:
    graph = _run(replace(GPT, resource_group_name="shared-rg", public_network_access=True))
    assert graph.by_type(GROUP) == []
    account = only(graph, ACCOUNT).inputs
    assert account["resourceGroupName"] == "shared-rg"
    assert account["properties"]["publicNetworkAccess"] == "Enabled"


def test_allow_caller_grants_openai_user_on_the_account() -> None:
    def program() -> None:
        network = AzureNetwork("net", AzureNetworkArgs(location="westeurope"))
        gpt = AzureOpenAI("gpt", replace(GPT, private_network=network))
        gpt.allow_caller("router", "11111111-2222-3333-4444-555555555555")

    assignment = only(record(program), "azure-native:authorization:RoleAssignment").inputs
    assert assignment["roleDefinitionId"].endswith(OPENAI_USER_ROLE)
    assert assignment["roleDefinitionId"].startswith("/subscriptions/00000000-")
    assert assignment["scope"] == "gpt-account-id"
    assert assignment["principalType"] == "ServicePrincipal"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sku": "Premium"}, "sku 'Premium' is not allowed"),
        ({"capacity": 0}, "capacity 0 is not allowed"),
        ({"sku": "ProvisionedManaged", "capacity": 200_000}, "(PTUs)"),
        ({"custom_subdomain": "Prod_GPT"}, "custom_subdomain 'Prod_GPT'"),
        ({"deployment_name": "gpt 4o"}, "deployment_name 'gpt 4o'"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    change: dict[str, Any], message: str
) -> None:
    error, graph = refusal(lambda: AzureOpenAI("gpt", replace(GPT, **change)))
    assert message in str(error)
    assert graph.resources == []
