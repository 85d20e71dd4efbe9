from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.gcp.cloud_run_service import (
    CloudRunService,
    CloudRunServiceArgs,
    SecretEnv,
    VpcEgress,
)
from tests.support.containers import changed
from tests.support.recording import component_outputs, only, record, refusal

SERVICE = "gcp:cloudrunv2/service:Service"
IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
ROUTER_SA = "serviceAccount:router@proj.iam.gserviceaccount.com"

MODEL_SERVER = CloudRunServiceArgs(
    location="europe-west4",
    service_name="prod-llama-run",
    container=ContainerSpec(
        image="vllm/vllm-openai:v0.11.0",
        port=8000,
        args=("--model", "meta-llama/Llama-3.1-8B-Instruct"),
        health_path="/health",
        resources=Resources(cpu=4, memory_gib=16),
    ),
    model="meta-llama/Llama-3.1-8B-Instruct",
    gpu="nvidia-l4",
    min_instances=0,
    max_instances=3,
    concurrency=4,
    invokers=(ROUTER_SA,),
    labels={"environment": "prod"},
)


def _run(args: CloudRunServiceArgs) -> Any:
    return record(lambda: CloudRunService("llama", args))


def test_gpu_model_server_is_private_with_gpu_and_always_on_cpu() -> None:
    graph = _run(MODEL_SERVER)

    assert graph.type_counts() == {
        "inferplane:gcp:CloudRunService": 1,
        "gcp:serviceaccount/account:Account": 1,
        SERVICE: 1,
        IAM: 1,
    }
    service = only(graph, SERVICE).inputs
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert service["labels"] == {"environment": "prod"}
    template = service["template"]
    [container] = template["containers"]
    assert container["resources"]["limits"] == {
        "cpu": "4",
        "memory": "16Gi",
        "nvidia.com/gpu": "1",
    }
    assert container["resources"]["cpuIdle"] is False
    assert container["ports"]["containerPort"] == 8000
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert template["nodeSelector"] == {"accelerator": "nvidia-l4"}
    assert template["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 3}
    assert template["maxInstanceRequestConcurrency"] == 4
    assert template["serviceAccount"].startswith("prod-llama-run-")
    binding = only(graph, IAM).inputs
    assert binding["member"] == ROUTER_SA
    assert binding["role"] == "roles/run.invoker"


def test_endpoint_is_openai_on_the_service_url() -> None:
    endpoint = component_outputs(_run(MODEL_SERVER), "inferplane:gcp:CloudRunService")["endpoint"]
    assert endpoint["backend"] == "openai"
    assert endpoint["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert endpoint["url"].startswith("https://prod-llama-run-")
    assert endpoint["url"].endswith(".a.run.app/v1")
    assert endpoint["region"] == "europe-west4"


def test_no_member_is_public_unless_asked() -> None:
    graph = _run(MODEL_SERVER)
    members = {r.inputs["member"] for r in graph.by_type(IAM)}
    assert not members & {"allUsers", "allAuthenticatedUsers"}

    public = _run(replace(MODEL_SERVER, public=True, ingress="all"))
    assert {r.inputs["member"] for r in public.by_type(IAM)} == {ROUTER_SA, "allUsers"}
    assert only(public, SERVICE).inputs["ingress"] == "INGRESS_TRAFFIC_ALL"


def test_carries_the_router_container_without_gpu() -> None:
    router = CloudRunServiceArgs(
        location="europe-west4",
        service_name="prod-router",
        container=ContainerSpec(
            image="europe-docker.pkg.dev/p/r/router@sha256:" + "a" * 64,
            port=8080,
            env={"INFERPLANE_ROUTER_CONFIG": '{"version": 1}'},
        ),
        secret_env={"REDIS_URL": SecretEnv("redis-url")},
        service_account="router@proj.iam.gserviceaccount.com",
        ingress="internal_and_cloud_load_balancing",
        vpc_egress=VpcEgress("projects/p/global/networks/n", "projects/p/regions/r/subnetworks/s"),
        min_instances=1,
        max_instances=10,
    )
    graph = _run(router)

    assert graph.type_counts()["gcp:serviceaccount/account:Account"] == 0
    service = only(graph, SERVICE).inputs
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    template = service["template"]
    [container] = template["containers"]
    assert container["envs"] == [
        {"name": "INFERPLANE_ROUTER_CONFIG", "value": '{"version": 1}'},
        {
            "name": "REDIS_URL",
            "valueSource": {"secretKeyRef": {"secret": "redis-url", "version": "latest"}},
        },
    ]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert container["resources"]["cpuIdle"] is True
    assert "nodeSelector" not in template
    assert template["serviceAccount"] == "router@proj.iam.gserviceaccount.com"
    assert template["vpcAccess"]["egress"] == "ALL_TRAFFIC"
    assert graph.by_type(IAM) == []


def test_allow_invoker_adds_a_binding_for_a_later_identity() -> None:
    def program() -> None:
        service = CloudRunService("llama", replace(MODEL_SERVER, invokers=()))
        service.allow_invoker("router", ROUTER_SA)

    [binding] = record(program).by_type(IAM)
    assert binding.name == "llama-invoker-router"
    assert binding.inputs["member"] == ROUTER_SA


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_name": "Bad_Name"}, "service_name 'Bad_Name'"),
        ({"gpu": "nvidia-a100"}, "gpu type 'nvidia-a100'"),
        ({"location": "europe-west3"}, "nvidia-l4 is not offered in 'europe-west3'"),
        ({"cpu": 2, "memory_gib": 8}, "needs at least 4 CPU and 16 GiB"),
        ({"gpu": None, "cpu": 3}, "cpu 3 is not allowed"),
        ({"gpu": None, "cpu": 2, "memory_gib": 16}, "needs at least 4 CPU"),
        ({"gpu": None, "memory_gib": 64, "cpu": 8}, "above Cloud Run's 32 GiB"),
        ({"min_instances": 4}, "min_instances 4 / max_instances 3"),
        ({"concurrency": 0}, "concurrency 0"),
        ({"timeout_s": 7200}, "timeout_s 7200"),
        ({"ingress": "public"}, "ingress 'public'"),
        ({"port": 0}, "container.port 0"),
        ({"invokers": ("allUsers",)}, "'allUsers' is not allowed; set public=True"),
        ({"invokers": ("user:me@example.com",)}, "name service accounts"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    change: dict[str, Any], message: str
) -> None:
    error, graph = refusal(lambda: CloudRunService("llama", changed(MODEL_SERVER, change)))
    assert message in str(error)
    assert graph.resources == []


@pytest.mark.parametrize(
    ("ingress", "network", "reach"),
    [
        ("all", None, {"path": "public"}),
        (
            "internal",
            "projects/p/global/networks/n",
            {"path": "vpc", "network": "projects/p/global/networks/n"},
        ),
        ("internal", None, {"path": "vpc", "network": ""}),
    ],
)
def test_endpoint_publishes_id_token_auth_reach_and_invoker_grant(
    ingress: str, network: str | None, reach: dict[str, str]
) -> None:
    args = replace(MODEL_SERVER, ingress=ingress, network=network, project="proj")  # type: ignore[arg-type]
    endpoint = component_outputs(_run(args), "inferplane:gcp:CloudRunService")["endpoint"]
    url = "https://prod-llama-run-" + endpoint["url"].split("prod-llama-run-", 1)[1].removesuffix(
        "/v1"
    )
    assert endpoint["auth"] == {"scheme": "google_id_token", "audience": url}
    assert endpoint["reach"] == reach
    assert endpoint["grants"] == [
        {
            "cloud": "gcp",
            "actions": ["roles/run.invoker"],
            "resources": ["projects/proj/locations/europe-west4/services/prod-llama-run"],
        }
    ]


SECRET_IAM = "gcp:secretmanager/secretIamMember:SecretIamMember"


def test_a_secret_env_is_readable_by_the_runtime_identity_before_the_first_revision() -> None:
    args = replace(
        MODEL_SERVER, secret_env={"HF_TOKEN": SecretEnv("projects/ml-prod/secrets/hf-token")}
    )
    graph = _run(args)
    grant = only(graph, SECRET_IAM)
    service = only(graph, SERVICE)
    assert grant.inputs["secretId"] == "projects/ml-prod/secrets/hf-token"
    assert grant.inputs["role"] == "roles/secretmanager.secretAccessor"
    # The service's own runtime identity, nobody else.
    assert (
        grant.inputs["member"] == f"serviceAccount:{service.inputs['template']['serviceAccount']}"
    )
    assert grant.urn in service.dependencies
    [container] = service.inputs["template"]["containers"]
    assert {
        "name": "HF_TOKEN",
        "valueSource": {
            "secretKeyRef": {"secret": "projects/ml-prod/secrets/hf-token", "version": "latest"}
        },
    } in container["envs"]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (SecretEnv("hf token"), "secret_env['HF_TOKEN'].secret 'hf token' is not allowed"),
        (SecretEnv("projects/x/secrets/a/versions/1"), "is not allowed"),
        (SecretEnv("hf-token", version="../1"), "secret_env['HF_TOKEN'].version '../1'"),
    ],
)
def test_bad_secret_refs_are_refused(ref: SecretEnv, message: str) -> None:
    error, graph = refusal(
        lambda: CloudRunService("llama", replace(MODEL_SERVER, secret_env={"HF_TOKEN": ref}))
    )
    assert message in str(error)
    assert graph.resources == []
