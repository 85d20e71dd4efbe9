"""GCP builders: spec targets -> VertexEndpoint / CloudRunService, and the spec checks
that keep undeployable GCP targets out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.deployment import BUILDERS, DeployContext
from inferplane.deployment.gcp import cloud_run, vertex
from inferplane.errors import SpecError
from inferplane.spec import StackFile, load_stack, parse_spec, provider_regions
from inferplane.spec.targets.gcp import VertexTarget
from tests.support.recording import component_outputs, only, record
from tests.support.targets import target_as

ROUTER_IMAGE = "europe-west4-docker.pkg.dev/acme/inferplane/router@sha256:" + "a" * 64

ROOT = Path(__file__).resolve().parents[2]
GARDEN = "gcp:vertex/aiEndpointWithModelGardenDeployment:AiEndpointWithModelGardenDeployment"
SERVICE = "gcp:cloudrunv2/service:Service"


def _stack(name: str) -> tuple[StackFile, DeployContext]:
    stack = load_stack(ROOT, name)
    spec = stack.spec
    return stack, DeployContext(spec, name, provider_regions(stack.config))


def _build(stack: StackFile, ctx: DeployContext, kind: str) -> Any:
    builders: dict[str, Callable[..., object]] = {"vertex": vertex, "cloud_run": cloud_run}
    builder = builders[kind]

    def program() -> None:
        for name, target in ctx.spec.targets.items():
            if target.kind == kind:
                builder(name, target, ctx)

    config = {k: v for k, v in stack.config.items() if k.startswith("gcp:")}
    return record(program, config=config)


def test_builders_are_registered_for_both_kinds() -> None:
    assert BUILDERS["vertex"] == "inferplane.deployment.gcp:vertex"
    assert BUILDERS["cloud_run"] == "inferplane.deployment.gcp:cloud_run"


def test_vertex_target_becomes_a_private_model_garden_deployment() -> None:
    stack, ctx = _stack("prod-europe-west4")
    graph = _build(stack, ctx, "vertex")

    deployment = only(graph, GARDEN).inputs
    assert deployment["publisherModelName"] == "publishers/google/models/gemma3@gemma-3-12b-it"
    assert deployment["project"] == "inferplane-prod-eu"
    spec = deployment["deployConfig"]["dedicatedResources"]
    assert spec["machineSpec"] == {
        "machineType": "g2-standard-24",
        "acceleratorType": "NVIDIA_L4",
        "acceleratorCount": 2,
    }
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 3)
    assert spec["autoscalingMetricSpecs"][0]["target"] == 70
    psc = deployment["endpointConfig"]["privateServiceConnectConfig"]
    # PSC automation puts the forwarding rule in the stack network the router egresses into.
    assert psc == {
        "enablePrivateServiceConnect": True,
        "projectAllowlists": ["inferplane-prod-eu"],
        "pscAutomationConfigs": {
            "network": "projects/inferplane-prod-eu/global/networks/prod-europe-west4-vpc",
            "projectId": "inferplane-prod-eu",
        },
    }
    endpoint = component_outputs(graph, "inferplane:gcp:VertexEndpoint")["endpoint"]
    assert endpoint["backend"] == "vertex"
    assert "/projects/inferplane-prod-eu/locations/europe-west4/endpoints/" in endpoint["url"]


def test_cloud_run_target_runs_the_rendered_engine_on_an_l4() -> None:
    stack, ctx = _stack("prod-europe-west4")
    graph = _build(stack, ctx, "cloud_run")

    service = only(graph, SERVICE).inputs
    assert service["name"] == "prod-europe-west4-llama-run"
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert service["labels"]["inferplane-target"] == "llama-run"
    assert service["labels"]["residency-zone"] == "eu"
    assert service["labels"]["data-class"] == "confidential"
    template = service["template"]
    [container] = template["containers"]
    assert container["image"].startswith("vllm/vllm-openai")
    assert container["args"][:2] == ["--model", "Qwen/Qwen2.5-7B-Instruct"]
    assert "--max-model-len" in container["args"]
    assert container["resources"]["limits"] == {
        "cpu": "8",
        "memory": "32Gi",
        "nvidia.com/gpu": "1",
    }
    assert template["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 4}
    members = [
        r.inputs["member"]
        for r in graph.by_type("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
    ]
    assert members == ["serviceAccount:eval-jobs@inferplane-prod-eu.iam.gserviceaccount.com"]


def _spec(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "environment": "prod",
        "owner": "ml-platform",
        "cost_center": "cc-1",
        "residency": {"zone": "eu", "regions": {"gcp": ["europe-west4"]}},
        "data_classes": {"public": {"placement": "any"}},
        "targets": {"tt": target},
        "routes": [{"targets": ["tt"]}],
        "router": {
            "platform": "cloud_run",
            "region": "europe-west4",
            "image": ROUTER_IMAGE,
        },
    }


RUN = {
    "kind": "cloud_run",
    "region": "europe-west4",
    "model": "m",
    "image": "example/server:1",
}
VERTEX = {"kind": "vertex", "region": "europe-west4", "model": "google/gemma-2-9b-it"}


@pytest.mark.parametrize(
    ("target", "path", "message"),
    [
        ({**RUN, "image": None}, "targets.tt", "set exactly one of serving (an engine) or image"),
        (
            {**RUN, "gpu": {"type": "nvidia-l4"}, "cpu": 2, "memory_gib": 8},
            "targets.tt",
            "needs at least 4 CPU and 16 GiB",
        ),
        (
            {**RUN, "region": "europe-west3", "gpu": {}},
            "targets.tt",
            "nvidia-l4 is not offered in 'europe-west3'",
        ),
        (
            {**RUN, "gpu": {"type": "nvidia-rtx-pro-6000"}},
            "targets.tt",
            "needs at least 20 CPU and 80 GiB",
        ),
        ({**RUN, "cpu": 3}, "targets.tt", "cpu 3 is not allowed"),
        ({**RUN, "invokers": ["allUsers"]}, "targets.tt.invokers", "is not a service account"),
        (
            {
                **VERTEX,
                "machine_type": "g2-standard-12",
                "accelerator": {"type": "NVIDIA_H100_80GB"},
            },
            "targets.tt",
            "carries NVIDIA_L4 x1",
        ),
        (
            {
                **VERTEX,
                "machine_type": "n1-standard-8",
                "accelerator": {"type": "NVIDIA_TESLA_T4", "count": 3},
            },
            "targets.tt",
            "count on n1 must be one of [1, 2, 4]",
        ),
        (
            {**VERTEX, "kms_key": "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
            "targets.tt",
            "kms_key needs model_deploy: external",
        ),
        ({**VERTEX, "scaling": {"min": 0, "max": 1}}, "targets.tt", "scaling.min 0 is not allowed"),
    ],
)
def test_spec_refuses_undeployable_gcp_targets(
    target: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(_spec({k: v for k, v in target.items() if v is not None}))
    [issue] = error.value.issues
    assert issue.path == path
    assert message in issue.message


def test_private_vertex_without_a_project_is_a_spec_error() -> None:
    spec = parse_spec(_spec(VERTEX))
    ctx = DeployContext(spec, "prod")
    with pytest.raises(SpecError, match="set gcp:project"):
        record(lambda: vertex("tt", target_as(spec, "tt", VertexTarget), ctx))


def test_a_gated_model_on_cloud_run_reads_its_token_from_secret_manager() -> None:
    from tests.conftest import stack_spec_data

    stack, _ = _stack("prod-europe-west4")
    data = stack_spec_data("prod-europe-west4")
    data["targets"]["llama-run"]["model"] = "meta-llama/Llama-3.1-8B-Instruct"
    data["targets"]["llama-run"]["hf_token_secret"] = "hf-token"
    regions = provider_regions(stack.config)
    ctx = DeployContext(parse_spec(data, "t", regions), "prod-europe-west4", regions)
    graph = _build(stack, ctx, "cloud_run")

    service = only(graph, SERVICE).inputs
    [container] = service["template"]["containers"]
    assert {
        "name": "HF_TOKEN",
        "valueSource": {"secretKeyRef": {"secret": "hf-token", "version": "latest"}},
    } in container["envs"]
    grant = only(graph, "gcp:secretmanager/secretIamMember:SecretIamMember").inputs
    assert grant["secretId"] == "hf-token"
    assert grant["project"] == "inferplane-prod-eu"
    assert grant["member"] == f"serviceAccount:{service['template']['serviceAccount']}"
