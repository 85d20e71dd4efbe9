"""Azure builders: spec targets -> AzureOpenAI / AzureMlEndpoint / ContainerAppService,
and the spec checks that keep undeployable Azure targets out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.deployment import BUILDERS, DeployContext
from inferplane.deployment.azure import azure_ml, azure_openai, container_app
from inferplane.errors import SpecError
from inferplane.spec import load_stack, parse_spec, provider_regions
from inferplane.spec.targets.azure import AzureOpenAITarget, ContainerAppTarget
from tests.support.recording import component_outputs, only, record
from tests.support.targets import target_as

ROUTER_IMAGE = "europe-west4-docker.pkg.dev/acme/inferplane/router@sha256:" + "a" * 64

ROOT = Path(__file__).resolve().parents[2]
BUILD: dict[str, Callable[..., object]] = {
    "azure_openai": azure_openai,
    "azure_ml": azure_ml,
    "container_app": container_app,
}


def _build(stack_name: str, *kinds: str) -> Any:
    stack = load_stack(ROOT, stack_name)
    ctx = DeployContext(stack.spec, stack_name, provider_regions(stack.config))

    def program() -> None:
        for name, target in ctx.spec.targets.items():
            if target.kind in kinds:
                BUILD[target.kind](name, target, ctx)

    return record(program)


def test_builders_are_registered_for_every_azure_kind() -> None:
    for kind in BUILD:
        assert BUILDERS[kind] == f"inferplane.deployment.azure:{kind}"


def test_azure_openai_data_zone_deployment_with_sku_visible() -> None:
    graph = _build("prod-westeurope", "azure_openai")

    account = only(graph, "azure-native:cognitiveservices:Account").inputs
    assert account["properties"]["customSubDomainName"] == "prod-westeurope-gpt-4o-mini"
    assert account["properties"]["publicNetworkAccess"] == "Disabled"
    deployment = only(graph, "azure-native:cognitiveservices:Deployment").inputs
    assert deployment["sku"] == {"name": "DataZoneStandard", "capacity": 200}
    assert deployment["deploymentName"] == "gpt-4o-mini"
    assert deployment["tags"]["openai-sku"] == "DataZoneStandard"
    assert deployment["tags"]["residency-zone"] == "eu"
    endpoint = component_outputs(graph, "inferplane:azure:AzureOpenAI")["endpoint"]
    assert endpoint["url"] == "https://prod-westeurope-gpt-4o-mini.openai.azure.com"
    assert endpoint["model"] == "gpt-4o-mini"


def test_provisioned_sku_takes_ptus_from_capacity_units() -> None:
    spec = parse_spec(
        _spec(
            {
                **OPENAI,
                "sku": "DataZoneProvisionedManaged",
                "capacity": {"mode": "provisioned", "units": 15},
            }
        )
    )
    ctx = DeployContext(spec, "prod")
    graph = record(lambda: azure_openai("gpt", target_as(spec, "gpt", AzureOpenAITarget), ctx))
    deployment = only(graph, "azure-native:cognitiveservices:Deployment").inputs
    assert deployment["sku"] == {"name": "DataZoneProvisionedManaged", "capacity": 15}


def test_azure_ml_target_becomes_a_private_managed_endpoint() -> None:
    graph = _build("prod-westeurope", "azure_ml")

    endpoint = only(graph, "azure-native:machinelearningservices:OnlineEndpoint").inputs
    assert endpoint["endpointName"] == "prod-westeurope-mistral-ml"
    assert endpoint["properties"] == {"authMode": "AADToken", "publicNetworkAccess": "Disabled"}
    deployment = only(graph, "azure-native:machinelearningservices:OnlineDeployment").inputs
    assert deployment["properties"]["instanceType"] == "Standard_NC24ads_A100_v4"
    autoscale = only(graph, "azure-native:monitor:AutoscaleSetting").inputs
    assert autoscale["profiles"][0]["capacity"] == {"minimum": "1", "maximum": "2", "default": "1"}
    rule = autoscale["profiles"][0]["rules"][0]["metricTrigger"]
    assert (rule["metricName"], rule["threshold"]) == ("GpuUtilizationPercentage", 70)


def test_container_app_target_runs_the_engine_on_a_serverless_gpu() -> None:
    graph = _build("prod-westeurope", "container_app")

    environment = only(graph, "azure-native:app:ManagedEnvironment").inputs
    assert environment["location"] == "swedencentral"
    assert environment["workloadProfiles"][1]["workloadProfileType"] == "Consumption-GPU-NC8as-T4"
    app = only(graph, "azure-native:app:ContainerApp").inputs
    assert app["containerAppName"] == "prod-westeurope-phi-aca"
    assert app["configuration"]["ingress"]["external"] is False
    assert app["configuration"]["ingress"]["targetPort"] == 8000
    [container] = app["template"]["containers"]
    assert container["image"].startswith("vllm/vllm-openai")
    assert container["args"][:2] == ["--model", "microsoft/Phi-3.5-mini-instruct"]
    assert app["template"]["scale"]["minReplicas"] == 0
    assert app["tags"]["inferplane-target"] == "phi-aca"


def test_hybrid_stack_builds_its_gcp_and_azure_targets() -> None:
    from inferplane.deployment.gcp import vertex

    stack = load_stack(ROOT, "hybrid")
    ctx = DeployContext(stack.spec, "hybrid", provider_regions(stack.config))

    def program() -> None:
        for name, target in ctx.spec.targets.items():
            if target.kind == "azure_openai":
                azure_openai(name, target, ctx)
            elif target.kind == "vertex":
                vertex(name, target, ctx)

    config = {k: v for k, v in stack.config.items() if k.startswith("gcp:")}
    graph = record(program, config=config)
    skus = {
        r.inputs["deploymentName"]: r.inputs["sku"]["name"]
        for r in graph.by_type("azure-native:cognitiveservices:Deployment")
    }
    assert skus == {"gpt-4o-mini-eu": "DataZoneStandard", "gpt-4o-global": "GlobalStandard"}
    assert len(graph.by_type("inferplane:gcp:VertexEndpoint")) == 1


def _spec(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "environment": "prod",
        "owner": "ml-platform",
        "cost_center": "cc-1",
        "residency": {"zone": "eu", "regions": {"azure": ["westeurope", "swedencentral"]}},
        "data_classes": {"public": {"placement": "any"}},
        "targets": {"gpt": target},
        "routes": [{"targets": ["gpt"]}],
        "router": {
            "platform": "container_app",
            "region": "westeurope",
            "image": ROUTER_IMAGE,
            # Container Apps has no platform auth: the spec requires client keys.
            "keys": [{"id": "app", "salt": "9eb4118d5dedb42a", "sha256": "c" * 64}],
        },
    }


OPENAI = {"kind": "azure_openai", "region": "westeurope", "model": "gpt-4o-mini"}
ML = {
    "kind": "azure_ml",
    "region": "westeurope",
    "model": "azureml://registries/r/models/m/versions/1",
}
ACA = {"kind": "container_app", "region": "swedencentral", "model": "m", "image": "example/s:1"}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {**OPENAI, "sku": "DataZoneStandard", "region": "japaneast"},
            "needs a region in a data zone (eu, us); 'japaneast' is in 'apac'",
        ),
        ({**OPENAI, "sku": "ProvisionedManaged"}, "needs capacity.mode provisioned"),
        ({**ML, "scaling": {"min": 0, "max": 2}}, "scaling.min 0 is not allowed"),
        ({**ML, "instance_type": "NC24ads_A100_v4"}, "String should match pattern"),
        ({**ACA, "image": None}, "set exactly one of serving (an engine) or image"),
        (
            {**ACA, "gpu_profile": "Consumption-GPU-NC8as-T4", "region": "westeurope"},
            "is not offered in 'westeurope'",
        ),
        ({**ACA, "cpu": 1, "memory_gib": 4}, "2 GiB per vCPU"),
    ],
)
def test_spec_refuses_undeployable_azure_targets(target: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(_spec({k: v for k, v in target.items() if v is not None}))
    [issue] = error.value.issues
    assert issue.path.startswith("targets.gpt")
    assert message in issue.message


def test_a_gated_model_on_container_apps_reads_its_token_from_key_vault() -> None:
    from inferplane.spec import parse_spec
    from tests.conftest import stack_spec_data

    stack = load_stack(ROOT, "prod-westeurope")
    data = stack_spec_data("prod-westeurope")
    (name,) = [n for n, t in data["targets"].items() if t["kind"] == "container_app"]
    vault = (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml"
        "/providers/Microsoft.KeyVault/vaults/kv-ml-prod"
    )
    data["targets"][name].update(
        model="meta-llama/Llama-3.2-1B-Instruct",
        checkpoint={"gated": True},
        hf_token_secret={"vault_id": vault, "name": "hf-token"},
    )
    regions = provider_regions(stack.config)
    ctx = DeployContext(parse_spec(data, "t", regions), "prod-westeurope", regions)
    graph = record(lambda: container_app(name, target_as(ctx.spec, name, ContainerAppTarget), ctx))

    app = only(graph, "azure-native:app:ContainerApp").inputs
    (secret,) = app["configuration"]["secrets"]
    assert secret["keyVaultUrl"] == "https://kv-ml-prod.vault.azure.net/secrets/hf-token"
    role = only(graph, "azure-native:authorization:RoleAssignment").inputs
    assert role["scope"] == f"{vault}/secrets/hf-token"
