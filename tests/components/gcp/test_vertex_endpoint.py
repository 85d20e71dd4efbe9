from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.gcp.vertex_endpoint import VertexEndpoint, VertexEndpointArgs
from tests.support.recording import component_outputs, only, record, refusal

GARDEN = "gcp:vertex/aiEndpointWithModelGardenDeployment:AiEndpointWithModelGardenDeployment"
ENDPOINT = "gcp:vertex/aiEndpoint:AiEndpoint"
COMPONENT = "inferplane:gcp:VertexEndpoint"
KEY = "projects/kms/locations/europe-west4/keyRings/ai/cryptoKeys/vertex"

LLAMA = VertexEndpointArgs(
    location="europe-west4",
    model="meta-llama/Llama-3.1-8B-Instruct",
    display_name="prod-llama",
    machine_type="g2-standard-12",
    min_replicas=1,
    max_replicas=3,
    target_utilization=70,
    accept_eula=True,
    psc_projects=("prod-project",),
    labels={"environment": "prod"},
)


def _run(args: VertexEndpointArgs) -> Any:
    return record(lambda: VertexEndpoint("llama", args))


def test_model_garden_deployment_with_dedicated_gpu_replicas_behind_psc() -> None:
    graph = _run(LLAMA)

    assert graph.type_counts() == {COMPONENT: 1, GARDEN: 1}
    deployment = only(graph, GARDEN).inputs
    assert deployment["huggingFaceModelId"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert "publisherModelName" not in deployment
    assert deployment["modelConfig"]["acceptEula"] is True
    resources = deployment["deployConfig"]["dedicatedResources"]
    assert resources["machineSpec"] == {
        "machineType": "g2-standard-12",
        "acceleratorType": "NVIDIA_L4",
        "acceleratorCount": 1,
    }
    assert (resources["minReplicaCount"], resources["maxReplicaCount"]) == (1, 3)
    assert resources["spot"] is False
    assert resources["autoscalingMetricSpecs"] == [
        {
            "metricName": "aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle",
            "target": 70,
        }
    ]
    psc = deployment["endpointConfig"]["privateServiceConnectConfig"]
    assert psc == {"enablePrivateServiceConnect": True, "projectAllowlists": ["prod-project"]}


def test_publisher_model_and_public_endpoint() -> None:
    graph = _run(
        replace(
            LLAMA,
            model="publishers/google/models/gemma3@gemma-3-12b-it",
            private=False,
            psc_projects=(),
            machine_type="a2-ultragpu-1g",
            spot=True,
        )
    )
    deployment = only(graph, GARDEN).inputs
    assert deployment["publisherModelName"] == "publishers/google/models/gemma3@gemma-3-12b-it"
    assert "privateServiceConnectConfig" not in deployment["endpointConfig"]
    spec = deployment["deployConfig"]["dedicatedResources"]
    assert spec["machineSpec"]["acceleratorType"] == "NVIDIA_A100_80GB"
    assert spec["spot"] is True


def test_endpoint_is_the_vertex_backend_with_endpoint_id() -> None:
    endpoint = component_outputs(_run(LLAMA), COMPONENT)["endpoint"]
    assert endpoint["backend"] == "vertex"
    assert endpoint["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert endpoint["endpoint_name"].isdigit()
    assert endpoint["url"] == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/inferplane-offline"
        f"/locations/europe-west4/endpoints/{endpoint['endpoint_name']}"
    )
    assert endpoint["region"] == "europe-west4"


def test_external_deploy_makes_a_cmek_labelled_private_endpoint() -> None:
    graph = _run(
        replace(
            LLAMA,
            deploy="external",
            kms_key=KEY,
            psc_network="projects/net-host/global/networks/ml",
        )
    )

    # The PSC name resolves inside psc_network through a private zone of its own.
    assert graph.type_counts() == {
        COMPONENT: 1,
        ENDPOINT: 1,
        "gcp:dns/managedZone:ManagedZone": 1,
        "gcp:dns/recordSet:RecordSet": 1,
    }
    endpoint = only(graph, ENDPOINT).inputs
    assert endpoint["encryptionSpec"] == {"kmsKeyName": KEY}
    assert endpoint["labels"] == {"environment": "prod"}
    assert endpoint["region"] == "europe-west4"
    psc = endpoint["privateServiceConnectConfig"]
    assert psc["enablePrivateServiceConnect"] is True
    assert psc["pscAutomationConfigs"] == [
        {"network": "projects/net-host/global/networks/ml", "projectId": "net-host"}
    ]
    outputs = component_outputs(graph, COMPONENT)
    assert outputs["endpoint"]["endpoint_name"] == outputs["endpoint_id"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deploy": "custom"}, "deploy 'custom' is not allowed"),
        ({"accelerator_type": "NVIDIA_L4"}, "set both or neither"),
        (
            {"accelerator_type": "NVIDIA_H100_80GB", "accelerator_count": 1},
            "carries NVIDIA_L4 x1",
        ),
        (
            {
                "machine_type": "n1-standard-8",
                "accelerator_type": "NVIDIA_L4",
                "accelerator_count": 1,
            },
            "n1 machines take",
        ),
        (
            {
                "machine_type": "n1-standard-8",
                "accelerator_type": "NVIDIA_TESLA_T4",
                "accelerator_count": 3,
            },
            "count on n1 must be one of [1, 2, 4]",
        ),
        ({"machine_type": "m1-ultramem-40"}, "not a Vertex serving machine type"),
        (
            {
                "machine_type": "e2-standard-4",
                "accelerator_type": "NVIDIA_L4",
                "accelerator_count": 1,
            },
            "takes no accelerator",
        ),
        ({"min_replicas": 0}, "min_replicas 0 / max_replicas 3"),
        ({"min_replicas": 4}, "min_replicas 4 / max_replicas 3"),
        ({"target_utilization": 0}, "target_utilization 0"),
        ({"kms_key": KEY}, "not allowed with deploy='model_garden'"),
        ({"psc_projects": ()}, "psc_projects is empty"),
        (
            {"private": False, "psc_network": "projects/p/global/networks/n"},
            "only allowed with private",
        ),
        ({"psc_network": "default"}, "psc_network 'default' is not allowed"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    change: dict[str, Any], message: str
) -> None:
    error, graph = refusal(lambda: VertexEndpoint("llama", replace(LLAMA, **change)))
    assert message in str(error)
    assert graph.resources == []


def test_wiring_public_endpoint_is_reached_on_the_regional_api() -> None:
    from inferplane.components.gcp.vertex_endpoint import VertexEndpoint, VertexEndpointArgs

    args = VertexEndpointArgs(
        location="europe-west4",
        model="publishers/google/models/gemma3@gemma-3-12b-it",
        display_name="gemma",
        private=False,
        project="proj",
    )
    graph = record(lambda: VertexEndpoint("gemma", args))
    endpoint = component_outputs(graph, "inferplane:gcp:VertexEndpoint")["endpoint"]
    assert endpoint["auth"] == {"scheme": "google_access_token"}
    assert endpoint["reach"] == {"path": "public"}
    assert endpoint["grants"] == [
        {"cloud": "gcp", "actions": ["roles/aiplatform.user"], "resources": ["projects/proj"]}
    ]
    assert endpoint["url"].startswith("https://europe-west4-aiplatform.googleapis.com/v1/")
    assert graph.by_type("gcp:dns/managedZone:ManagedZone") == []


def test_wiring_psc_endpoint_is_reached_on_its_psc_name_inside_the_network() -> None:
    from inferplane.components.gcp.vertex_endpoint import VertexEndpoint, VertexEndpointArgs

    network = "projects/proj/global/networks/net"
    args = VertexEndpointArgs(
        location="europe-west4",
        model="publishers/google/models/gemma3@gemma-3-12b-it",
        display_name="gemma",
        psc_projects=("proj",),
        psc_network=network,
        project="proj",
    )
    graph = record(lambda: VertexEndpoint("gemma", args))
    endpoint = component_outputs(graph, "inferplane:gcp:VertexEndpoint")["endpoint"]
    endpoint_id = endpoint["endpoint_name"]
    host = f"{endpoint_id}.europe-west4-123456789012.prediction.vertexai.goog"
    assert endpoint["url"] == (
        f"https://{host}/v1/projects/proj/locations/europe-west4/endpoints/{endpoint_id}"
    )
    assert endpoint["reach"] == {"path": "psc", "network": network}
    assert endpoint["auth"] == {"scheme": "google_access_token"}
    [record_set] = graph.by_type("gcp:dns/recordSet:RecordSet")
    assert record_set.inputs["name"] == f"{host}."
