from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.azure.container_app_service import (
    KEY_VAULT_SECRETS_USER,
    ContainerAppService,
    ContainerAppServiceArgs,
    KeyVaultSecret,
)
from inferplane.components.container import ContainerSpec, Resources
from inferplane.plan.computed import _guid
from tests.support.containers import changed
from tests.support.recording import component_outputs, only, record, refusal

APP = "azure-native:app:ContainerApp"
ENVIRONMENT = "azure-native:app:ManagedEnvironment"
COMPONENT = "inferplane:azure:ContainerAppService"

PHI = ContainerAppServiceArgs(
    location="swedencentral",
    app_name="prod-phi",
    container=ContainerSpec(
        image="vllm/vllm-openai:v0.11.0",
        port=8000,
        args=("--model", "microsoft/Phi-3-mini-4k-instruct"),
        health_path="/health",
    ),
    model="microsoft/Phi-3-mini-4k-instruct",
    gpu_profile="Consumption-GPU-NC8as-T4",
    min_replicas=0,
    max_replicas=2,
    concurrency=8,
    tags={"environment": "prod"},
)


VAULT = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/secrets"
    "/providers/Microsoft.KeyVault/vaults/KV-Prod"
)
HF = KeyVaultSecret(VAULT, "hf-token")


def _run(args: ContainerAppServiceArgs) -> Any:
    return record(lambda: ContainerAppService("phi", args))


def test_gpu_app_in_a_new_environment_with_a_gpu_profile() -> None:
    graph = _run(PHI)

    assert graph.type_counts() == {
        COMPONENT: 1,
        "azure-native:resources:ResourceGroup": 1,
        ENVIRONMENT: 1,
        APP: 1,
    }
    environment = only(graph, ENVIRONMENT).inputs
    assert [(p["name"], p["workloadProfileType"]) for p in environment["workloadProfiles"]] == [
        ("Consumption", "Consumption"),
        ("gpu", "Consumption-GPU-NC8as-T4"),
    ]
    app = only(graph, APP).inputs
    assert app["workloadProfileName"] == "gpu"
    assert app["identity"] == {"type": "SystemAssigned"}
    [container] = app["template"]["containers"]
    assert container["resources"] == {"cpu": 8, "memory": "56Gi"}
    assert [p["type"] for p in container["probes"]] == ["Startup", "Readiness"]
    assert container["probes"][0]["httpGet"] == {"port": 8000, "path": "/health"}


def test_internal_ingress_and_http_concurrency_scaling_from_zero() -> None:
    app = only(_run(PHI), APP).inputs
    ingress = app["configuration"]["ingress"]
    assert ingress["external"] is False
    assert ingress["targetPort"] == 8000
    assert ingress["allowInsecure"] is False
    scale = app["template"]["scale"]
    assert (scale["minReplicas"], scale["maxReplicas"]) == (0, 2)
    assert scale["rules"] == [
        {"name": "http-concurrency", "http": {"metadata": {"concurrentRequests": "8"}}}
    ]


def test_endpoint_is_openai_on_the_internal_host() -> None:
    endpoint = component_outputs(_run(PHI), COMPONENT)["endpoint"]
    assert endpoint["backend"] == "openai"
    assert endpoint["model"] == "microsoft/Phi-3-mini-4k-instruct"
    assert endpoint["url"].startswith("https://prod-phi.internal.")
    assert endpoint["url"].endswith(".swedencentral.azurecontainerapps.io/v1")
    assert endpoint["region"] == "swedencentral"


def test_carries_the_router_in_a_shared_environment() -> None:
    import pulumi_azure_native as azure

    def program() -> None:
        model = ContainerAppService("phi", PHI)
        ContainerAppService(
            "router",
            ContainerAppServiceArgs(
                location="swedencentral",
                app_name="prod-router",
                container=ContainerSpec(
                    image="example.azurecr.io/router@sha256:" + "b" * 64,
                    env={"INFERPLANE_ROUTER_CONFIG": '{"version": 1}'},
                    resources=Resources(cpu=0.5, memory_gib=1),
                ),
                secret_env={"REDIS_URL": "rediss://cache:6380"},
                min_replicas=1,
                max_replicas=5,
                external=True,
                environment=model.environment,
                resource_group_name="shared-rg",
            ),
        )
        assert isinstance(model.environment, azure.app.ManagedEnvironment)

    graph = record(program)
    assert len(graph.by_type(ENVIRONMENT)) == 1
    router = next(r for r in graph.by_type(APP) if r.name == "router-app").inputs
    assert router["managedEnvironmentId"] == "phi-environment-id"
    assert router["workloadProfileName"] == "Consumption"
    assert router["configuration"]["ingress"]["external"] is True
    assert router["configuration"]["secrets"] == [{"name": "redis-url", "value": "[secret]"}]
    [container] = router["template"]["containers"]
    assert container["env"] == [
        {"name": "INFERPLANE_ROUTER_CONFIG", "value": '{"version": 1}'},
        {"name": "REDIS_URL", "secretRef": "redis-url"},
    ]
    assert container["resources"] == {"cpu": 0.5, "memory": "1Gi"}
    assert [p["tcpSocket"] for p in container["probes"]] == [{"port": 8080}, {"port": 8080}]
    router_outputs = next(r for r in graph.by_type(COMPONENT) if r.name == "router").outputs
    assert router_outputs["url"].startswith("https://prod-router.")
    assert ".internal." not in router_outputs["url"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"app_name": "Prod_Phi"}, "app_name 'Prod_Phi'"),
        ({"gpu_profile": "Consumption-GPU-H100"}, "is not a serverless GPU profile"),
        ({"location": "westeurope"}, "is not offered in 'westeurope'"),
        ({"gpu_profile": None, "cpu": 0.3, "memory_gib": 0.6}, "cpu 0.3 is not allowed"),
        ({"gpu_profile": None, "cpu": 8, "memory_gib": 16}, "cpu 8 is not allowed"),
        ({"gpu_profile": None, "cpu": 1, "memory_gib": 4}, "2 GiB per vCPU"),
        ({"min_replicas": 3}, "min_replicas 3 / max_replicas 2"),
        ({"max_replicas": 0, "min_replicas": 0}, "min_replicas 0 / max_replicas 0"),
        ({"concurrency": 0}, "concurrency 0"),
        ({"port": 70000}, "container.port 70000"),
        ({"env": {"bad-name": "x"}}, "environment variable 'bad-name'"),
        ({"env": {"TOKEN": "x"}, "secret_env": {"TOKEN": "y"}}, "set twice"),
        ({"env": {"HF_TOKEN": "x"}, "key_vault_env": {"HF_TOKEN": HF}}, "set twice"),
        (
            {"key_vault_env": {"HF_TOKEN": KeyVaultSecret("kv-prod", "hf-token")}},
            "key_vault_env['HF_TOKEN'].vault_id 'kv-prod' is not allowed",
        ),
        (
            {"key_vault_env": {"HF_TOKEN": KeyVaultSecret(VAULT, "hf_token; rm -rf /")}},
            "key_vault_env['HF_TOKEN'].name 'hf_token; rm -rf /' is not allowed",
        ),
        (
            {"key_vault_env": {"HF_TOKEN": KeyVaultSecret(VAULT + "/../x", "hf-token")}},
            "vault_id",
        ),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    change: dict[str, Any], message: str
) -> None:
    error, graph = refusal(lambda: ContainerAppService("phi", changed(PHI, change)))
    assert message in str(error)
    assert graph.resources == []


def test_a_key_vault_secret_is_read_by_an_identity_allowed_exactly_that_secret() -> None:
    graph = _run(replace(PHI, key_vault_env={"HF_TOKEN": HF}))
    identity = only(graph, "azure-native:managedidentity:UserAssignedIdentity")
    role = only(graph, "azure-native:authorization:RoleAssignment")
    app = only(graph, APP)
    # Read access on the one secret, for the user-assigned identity, before the app exists.
    assert role.inputs["scope"] == f"{VAULT}/secrets/hf-token"
    assert role.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{KEY_VAULT_SECRETS_USER}")
    assert role.urn in app.dependencies
    assert role.inputs["principalId"] == _guid(f"{identity.name}/principal")
    identity_id = f"{identity.name}-id"  # the mock engine's ID for it
    assert app.inputs["identity"] == {
        "type": "SystemAssigned,UserAssigned",
        "userAssignedIdentities": [identity_id],
    }
    assert app.inputs["configuration"]["secrets"] == [
        {
            "name": "hf-token",
            "keyVaultUrl": "https://kv-prod.vault.azure.net/secrets/hf-token",
            "identity": identity_id,
        }
    ]
    [container] = app.inputs["template"]["containers"]
    assert {"name": "HF_TOKEN", "secretRef": "hf-token"} in container["env"]
    assert "value" not in str(app.inputs["configuration"]["secrets"])
