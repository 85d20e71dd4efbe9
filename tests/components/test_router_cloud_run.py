"""RouterService on Cloud Run: its identity, Direct VPC egress and grant members."""

from __future__ import annotations

from inferplane.components.gcp.cloud_run_service import VpcEgress
from tests.components.routers import cloud_run_router
from tests.support.recording import only


def test_cloud_run_router_egresses_into_the_vpc_and_holds_exactly_the_gcp_grants() -> None:
    network = "projects/acme/global/networks/stack"
    subnet = "projects/acme/regions/europe-west4/subnetworks/stack"
    email = "router@acme.iam.gserviceaccount.com"
    graph = cloud_run_router(
        service_account=email,
        vpc_egress=VpcEgress(network, subnet),
        internet=False,
        grants=[
            ("roles/run.invoker", "projects/acme/locations/europe-west4/services/llama"),
            ("roles/aiplatform.user", "projects/acme"),
            ("roles/aiplatform.user", "projects/acme"),  # a second Vertex target
        ],
        federated_identities=[{"cloud": "aws", "principal": "arn:aws:iam::123456789012:role/r"}],
    )
    # The given identity: no service account of its own, never the default compute one.
    assert graph.by_type("gcp:serviceaccount/account:Account") == []
    service = only(graph, "gcp:cloudrunv2/service:Service").inputs
    assert service["template"]["serviceAccount"] == email
    assert service["template"]["vpcAccess"] == {
        "egress": "ALL_TRAFFIC",
        "networkInterfaces": [{"network": network, "subnetwork": subnet}],
    }
    members = {
        (r.type, r.inputs["role"], r.inputs.get("name"), r.inputs["project"], r.inputs["member"])
        for r in graph.resources
        if "member" in r.inputs
    }
    assert members == {
        (
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "roles/run.invoker",
            "llama",
            "acme",
            f"serviceAccount:{email}",
        ),
        (
            "gcp:projects/iAMMember:IAMMember",
            "roles/aiplatform.user",
            None,
            "acme",
            f"serviceAccount:{email}",
        ),
    }
    outputs = only(graph, "inferplane:index:RouterService").outputs
    assert outputs["network"] == {
        "internet": False,
        "networks": [network],
        "interface_endpoints": [],
    }
    assert outputs["identity"] == [
        {"cloud": "gcp", "principal": email},
        {"cloud": "aws", "principal": "arn:aws:iam::123456789012:role/r"},
    ]


def test_cloud_run_router_without_vpc_targets_stays_on_the_internet() -> None:
    graph = cloud_run_router()
    service = only(graph, "gcp:cloudrunv2/service:Service").inputs
    assert "vpcAccess" not in service["template"]
    outputs = only(graph, "inferplane:index:RouterService").outputs
    assert outputs["network"] == {"internet": True, "networks": [], "interface_endpoints": []}
    [identity] = outputs["identity"]
    assert identity["cloud"] == "gcp"
    assert identity["principal"].startswith("router-")
