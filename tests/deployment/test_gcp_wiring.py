"""GCP wiring and cross-cloud federation, from real stack plans (issue 12, GCP side)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack, parse_spec
from tests.conftest import stack_spec_data

ROOT = Path(__file__).resolve().parents[2]
HYBRID_REGIONS = {"aws": "eu-central-1", "gcp": "europe-west4", "azure": "westeurope"}


@cache
def planned(stack: str) -> Graph:
    return run_program(ROOT, load_stack(ROOT, stack))


def _router_service(graph: Graph) -> dict[str, Any]:
    [service] = [
        r for r in graph.by_type("gcp:cloudrunv2/service:Service") if r.name == "router-run-service"
    ]
    return service.inputs


def _router_config(graph: Graph) -> dict[str, Any]:
    [container] = _router_service(graph)["template"]["containers"]
    [env] = [e for e in container["envs"] if e["name"] == "INFERPLANE_ROUTER_CONFIG"]
    config: dict[str, Any] = json.loads(env["value"])
    return config


def _auth(config: dict[str, Any], target: str) -> dict[str, Any]:
    auth = config["targets"][target]["auth"]
    return {k: v for k, v in auth.items() if v is not None and k != "header"}


def _router_sa(graph: Graph) -> str:
    [account] = [
        r for r in graph.by_type("gcp:serviceaccount/account:Account") if r.name == "router-sa"
    ]
    return str(account.outputs.get("email") or account.inputs["accountId"])


def test_prod_europe_west4_router_egresses_into_llama_runs_network() -> None:
    graph = planned("prod-europe-west4")
    network = "projects/inferplane-prod-eu/global/networks/prod-europe-west4-vpc"
    template = _router_service(graph)["template"]
    assert template["vpcAccess"] == {
        "egress": "ALL_TRAFFIC",
        "networkInterfaces": [
            {
                "network": network,
                "subnetwork": "projects/inferplane-prod-eu/regions/europe-west4/subnetworks/"
                "prod-europe-west4-vpc",
            }
        ],
    }
    [llama] = [r for r in graph.resources if r.name == "llama-run"]
    assert llama.outputs["endpoint"]["reach"] == {"path": "vpc", "network": network}
    # Only private targets: no NAT, so the router has no internet egress.
    assert graph.by_type("gcp:compute/routerNat:RouterNat") == []
    [router] = graph.by_type("inferplane:index:RouterService")
    assert router.outputs["network"] == {
        "internet": False,
        "networks": [network],
        "interface_endpoints": [],
    }


def test_prod_europe_west4_router_has_its_own_account_and_exactly_its_grants() -> None:
    graph = planned("prod-europe-west4")
    email = "prod-europe-west4-router-7688@inferplane-prod-eu.iam.gserviceaccount.com"
    assert _router_service(graph)["template"]["serviceAccount"] == email
    assert not email.endswith("-compute@developer.gserviceaccount.com")
    members = {
        (r.type.rsplit(":", 1)[-1], r.inputs["role"], r.inputs.get("name"), r.inputs["project"])
        for r in graph.resources
        if r.inputs.get("member") == f"serviceAccount:{email}"
    }
    assert members == {
        (
            "ServiceIamMember",
            "roles/run.invoker",
            "prod-europe-west4-llama-run",
            "inferplane-prod-eu",
        ),
        ("IAMMember", "roles/aiplatform.user", None, "inferplane-prod-eu"),
        # The secret with its managed state's URL (router.state), that secret only.
        ("SecretIamMember", "roles/secretmanager.secretAccessor", None, "inferplane-prod-eu"),
    }
    [router] = graph.by_type("inferplane:index:RouterService")
    assert router.outputs["identity"] == [{"cloud": "gcp", "principal": email}]


def test_prod_europe_west4_router_config_carries_google_auth_and_the_psc_url() -> None:
    graph = planned("prod-europe-west4")
    config = _router_config(graph)
    [llama] = [r for r in graph.resources if r.name == "llama-run"]
    llama_url = llama.outputs["url"]
    assert _auth(config, "llama-run") == {
        "scheme": "google_id_token",
        "audience": llama_url,
    }
    assert _auth(config, "gemma-vertex") == {"scheme": "google_access_token"}
    url = config["targets"]["gemma-vertex"]["url"]
    # Old main called the public regional host, which a PSC endpoint does not answer on.
    assert "aiplatform.googleapis.com" not in url
    endpoint_id = config["targets"]["gemma-vertex"]["endpoint_name"]
    host = f"{endpoint_id}.europe-west4-123456789012.prediction.vertexai.goog"
    assert url == (
        f"https://{host}/v1/projects/inferplane-prod-eu/locations/europe-west4/endpoints/{endpoint_id}"
    )
    [zone] = graph.by_type("gcp:dns/managedZone:ManagedZone")
    assert zone.inputs["dnsName"] == f"{host}."
    assert zone.inputs["privateVisibilityConfig"]["networks"] == [
        {
            "networkUrl": "https://www.googleapis.com/compute/v1/projects/inferplane-prod-eu/"
            "global/networks/prod-europe-west4-vpc"
        }
    ]
    [record] = graph.by_type("gcp:dns/recordSet:RecordSet")
    assert record.inputs["type"] == "A"
    assert record.inputs["rrdatas"][0].startswith("10.128.0.")
    [deployment] = graph.by_type(
        "gcp:vertex/aiEndpointWithModelGardenDeployment:AiEndpointWithModelGardenDeployment"
    )
    psc = deployment.inputs["endpointConfig"]["privateServiceConnectConfig"]
    assert psc["pscAutomationConfigs"]["network"] == (
        "projects/inferplane-prod-eu/global/networks/prod-europe-west4-vpc"
    )


def test_hybrid_aws_federation_role_trusts_only_the_router_account() -> None:
    graph = planned("hybrid")
    [credential] = graph.by_type("azure-native:managedidentity:FederatedIdentityCredential")
    unique_id = credential.inputs["subject"]  # the router account's unique ID, numeric
    assert unique_id.isdigit()
    assert len(unique_id) == 21
    [role] = graph.by_type("aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "accounts.google.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"accounts.google.com:aud": unique_id}},
            }
        ],
    }
    [policy] = [
        r
        for r in graph.by_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "router-aws-federation-grants"
    ]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert {a for s in statements for a in s["Action"]} == {
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
    }
    assert {r for s in statements for r in s["Resource"]} == {
        "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0",
        *(
            f"arn:aws:bedrock:{region}::foundation-model/amazon.nova-lite-v1:0"
            for region in ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1")
        ),
    }


def test_hybrid_azure_federated_identity_and_its_role_assignments() -> None:
    graph = planned("hybrid")
    [role] = graph.by_type("aws:iam/role:Role")
    trusted = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    [credential] = graph.by_type("azure-native:managedidentity:FederatedIdentityCredential")
    assert credential.inputs["issuer"] == "https://accounts.google.com"
    assert credential.inputs["subject"] == trusted["StringEquals"]["accounts.google.com:aud"]
    assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
    [identity] = graph.by_type("inferplane:azure:GoogleFederatedIdentity")
    assignments = {
        (
            r.inputs["principalId"],
            r.inputs["roleDefinitionId"].rsplit("/", 1)[-1],
            r.inputs["scope"],
        )
        for r in graph.by_type("azure-native:authorization:RoleAssignment")
    }
    openai_user = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    principal = identity.outputs["principal_id"]
    assert assignments == {
        (principal, openai_user, "gpt-4o-mini-eu-account-id"),
        (principal, openai_user, "gpt-4o-global-account-id"),
    }
    # The stated path: public endpoint, keys still disabled.
    for account_resource in graph.by_type("azure-native:cognitiveservices:Account"):
        props = account_resource.inputs["properties"]
        assert (props["publicNetworkAccess"], props["disableLocalAuth"]) == ("Enabled", True)


def test_hybrid_router_config_carries_federated_auth_per_target() -> None:
    graph = planned("hybrid")
    config = _router_config(graph)
    [role] = graph.by_type("inferplane:aws:GoogleFederatedRole")
    [identity] = graph.by_type("inferplane:azure:GoogleFederatedIdentity")
    role_arn = role.outputs["role_arn"]
    assert role_arn == "arn:aws:iam::123456789012:role/hybrid-router-gcp"
    assert _auth(config, "claude-haiku-eu") == {
        "scheme": "sigv4",
        "service": "bedrock",
        "federation": "google",
        "role_arn": role_arn,
    }
    for name in ("gpt-4o-mini-eu", "gpt-4o-global"):
        assert _auth(config, name) == {
            "scheme": "azure_entra",
            "scope": "https://cognitiveservices.azure.com/.default",
            "federation": "google",
            "client_id": identity.outputs["client_id"],
            "tenant_id": identity.outputs["tenant_id"],
        }
    assert _auth(config, "gemma-vertex") == {"scheme": "google_access_token"}
    [router] = graph.by_type("inferplane:index:RouterService")
    assert [i["cloud"] for i in router.outputs["identity"]] == ["gcp", "aws", "azure"]
    assert router.outputs["identity"][1:] == [
        {"cloud": "aws", "principal": role_arn},
        {"cloud": "azure", "principal": identity.outputs["principal_id"]},
    ]
    # Bedrock, Azure and the edge site are on the internet: NAT beside the VPC egress.
    assert router.outputs["network"]["internet"] is True
    assert len(graph.by_type("gcp:compute/routerNat:RouterNat")) == 1


def _hybrid_issues(mutate: Any) -> list[str]:
    spec = stack_spec_data("hybrid")
    mutate(spec)
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", HYBRID_REGIONS)
    return [str(i) for i in caught.value.issues]


def test_azure_target_without_a_stated_path_is_refused_for_a_gcp_router() -> None:
    issues = _hybrid_issues(lambda s: s["targets"]["gpt-4o-global"].pop("network_access"))
    assert len(issues) == 1
    assert "targets.gpt-4o-global.network_access" in issues[0]
    assert "router platform 'cloud_run'" in issues[0]
    assert "public_entra_only" in issues[0]


def test_unsupported_cross_cloud_pair_names_platform_target_and_ways_out() -> None:
    def add_fleet(spec: dict[str, Any]) -> None:
        spec["targets"]["fleet"] = {
            "kind": "gpu_fleet",
            "region": "eu-central-1",
            "model": "Qwen/Qwen2.5-7B-Instruct",
            "instance_type": "g5.xlarge",
            "serving": {"engine": "vllm"},
        }
        spec["routes"][-1]["targets"].append("fleet")

    issues = _hybrid_issues(add_fleet)
    [issue] = [i for i in issues if "targets.fleet" in i]
    assert "router platform 'cloud_run'" in issue
    assert "'fleet'" in issue
    assert "Move the router to a aws platform" in issue
