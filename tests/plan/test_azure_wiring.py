"""prod-westeurope, planned for real: every Azure target has a network path from the
router (private endpoints + DNS zones in the VNet its environment is integrated into,
phi-aca in the same environment) and the router's managed identity holds exactly the role
each target's published grant asks for."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from inferplane.components.wiring import unreachable_reason
from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"


@cache
def planned() -> Graph:
    return run_program(ROOT, load_stack(ROOT, "prod-westeurope"))


def _router() -> dict[str, Any]:
    [router] = planned().by_type("inferplane:index:RouterService")
    outputs: dict[str, Any] = router.outputs
    return outputs


def _endpoints() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in planned().resources:
        if resource.type.startswith("inferplane:azure:") and "endpoint" in resource.outputs:
            found[resource.name] = resource.outputs["endpoint"]
    return found


def test_private_endpoints_for_openai_and_ml_in_the_routers_vnet() -> None:
    graph = planned()
    endpoints = {
        e.name: (
            e.inputs["location"],
            e.inputs["subnet"]["id"],
            e.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"],
            e.inputs["privateLinkServiceConnections"][0]["groupIds"],
        )
        for e in graph.by_type("azure-native:network:PrivateEndpoint")
    }
    assert endpoints == {
        "gpt-4o-mini-pe": (
            "swedencentral",
            "azure-network-private-endpoints-id",
            "gpt-4o-mini-account-id",
            ["account"],
        ),
        "mistral-ml-pe": (
            "swedencentral",
            "azure-network-private-endpoints-id",
            "mistral-ml-workspace-id",
            ["amlworkspace"],
        ),
        # The router's managed state (router.state): Azure Cache for Redis, private only.
        "router-state-endpoint": (
            "swedencentral",
            "azure-network-private-endpoints-id",
            "router-state-redis-id",
            ["redisCache"],
        ),
    }
    [vnet] = graph.by_type("azure-native:network:VirtualNetwork")
    assert vnet.inputs["location"] == "swedencentral"


def test_private_dns_zones_linked_to_the_vnet_and_written_by_zone_groups() -> None:
    graph = planned()
    zones = {
        z.inputs["privateZoneName"] for z in graph.by_type("azure-native:privatedns:PrivateZone")
    }
    assert zones == {
        "privatelink.openai.azure.com",
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
        "privatelink.redis.cache.windows.net",
    }
    links = graph.by_type("azure-native:privatedns:VirtualNetworkLink")
    assert {link.inputs["virtualNetwork"]["id"] for link in links} == {"azure-network-vnet-id"}
    assert len(links) == 4
    groups = {
        g.inputs["privateEndpointName"]: sorted(
            c["privateDnsZoneId"] for c in g.inputs["privateDnsZoneConfigs"]
        )
        for g in graph.by_type("azure-native:network:PrivateDnsZoneGroup")
    }
    assert groups == {
        "gpt-4o-mini-pe": ["azure-network-privatelink-openai-azure-com-id"],
        "mistral-ml-pe": [
            "azure-network-privatelink-api-azureml-ms-id",
            "azure-network-privatelink-notebooks-azure-net-id",
        ],
        "router-state-endpoint": ["azure-network-privatelink-redis-cache-windows-net-id"],
    }


def test_router_and_phi_share_one_vnet_integrated_environment() -> None:
    graph = planned()
    [environment] = graph.by_type("azure-native:app:ManagedEnvironment")
    assert environment.name == "phi-aca-environment"
    assert environment.inputs["vnetConfiguration"] == {
        "infrastructureSubnetId": "azure-network-apps-id",
        "internal": True,
    }
    apps = {
        a.inputs["containerAppName"]: a.inputs["managedEnvironmentId"]
        for a in graph.by_type("azure-native:app:ContainerApp")
    }
    assert apps == {
        "prod-westeurope-phi-aca": "phi-aca-environment-id",
        "prod-westeurope-router": "phi-aca-environment-id",
    }
    [apps_subnet] = [
        s for s in graph.by_type("azure-native:network:Subnet") if s.inputs["subnetName"] == "apps"
    ]
    assert apps_subnet.inputs["delegations"][0]["serviceName"] == "Microsoft.App/environments"


def test_finding_router_identity_holds_exactly_each_targets_grant() -> None:
    # Old main: no role assignment anywhere in the plan.
    [identity] = _router()["identity"]
    assert identity["cloud"] == "azure"
    principal = identity["principal"]
    assignments = {
        (a.inputs["principalId"], a.inputs["roleDefinitionId"], a.inputs["scope"])
        for a in planned().by_type("azure-native:authorization:RoleAssignment")
    }
    roles = f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
    assert assignments == {
        (principal, f"{roles}/{OPENAI_USER}", "gpt-4o-mini-account-id"),
        (principal, f"{roles}/{DATA_SCIENTIST}", "mistral-ml-endpoint-id"),
    }
    # ... and they are what the targets published.
    published = {
        (g["actions"][0], g["resources"][0])
        for endpoint in _endpoints().values()
        for g in endpoint["grants"]
    }
    assert published == {
        (OPENAI_USER, "gpt-4o-mini-account-id"),
        (DATA_SCIENTIST, "mistral-ml-endpoint-id"),
    }


def test_finding_every_target_is_reachable_from_the_routers_network() -> None:
    # Old main: public access off with no private endpoint, and a router outside any VNet.
    network = _router()["network"]
    assert network == {
        "internet": True,
        "networks": ["azure-network-vnet-id", "phi-aca-environment-id"],
        "interface_endpoints": [],
    }
    reaches = {name: e["reach"] for name, e in _endpoints().items() if name != "router-app"}
    assert reaches == {
        "gpt-4o-mini": {"path": "private_endpoint", "network": "azure-network-vnet-id"},
        "mistral-ml": {"path": "private_endpoint", "network": "azure-network-vnet-id"},
        "phi-aca": {"path": "vpc", "network": "phi-aca-environment-id"},
    }
    assert {name: unreachable_reason(network, r) for name, r in reaches.items()} == {
        "gpt-4o-mini": None,
        "mistral-ml": None,
        "phi-aca": None,
    }


def test_router_config_carries_each_targets_auth() -> None:
    config = json.loads(_router()["config_json"])
    # to_json leaves defaults out: no "auth" means scheme "none".
    auth = {name: target.get("auth", {}) for name, target in config["targets"].items()}
    assert {name: (a.get("scheme", "none"), a.get("scope")) for name, a in auth.items()} == {
        "gpt-4o-mini": ("azure_entra", "https://cognitiveservices.azure.com/.default"),
        "mistral-ml": ("azure_entra", "https://ml.azure.com/.default"),
        "phi-aca": ("none", None),
    }
