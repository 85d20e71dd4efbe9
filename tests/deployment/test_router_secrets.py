"""``router.admin_key`` (and every secret the router reads) in GCP Secret Manager or
Azure Key Vault: the router's own identity gets read access to that one secret on its
platform, the RouterConfig names it as the router resolves it, and a platform whose
identity cannot read the store is refused at spec time (issue 15, operator features)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.plan import Graph
from inferplane.routerconfig import deployed_config_json
from tests.conftest import stack_spec_data
from tests.policies.planned import Spec, plan_edited

VAULT_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/ops"
    "/providers/Microsoft.KeyVault/vaults/ops-vault"
)
GCP_ADMIN = "projects/ops-secrets-123/secrets/router-admin"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ACCESSOR = "roles/secretmanager.secretAccessor"


def _admin_key(location: dict[str, str]) -> Any:
    def edit(spec: Spec) -> None:
        spec["router"]["admin_key"] = location

    return edit


def _plan(tmp_path: Path, stack: str, location: dict[str, str] | None) -> Graph:
    tmp_path.mkdir()
    graph, _spec, _regions = plan_edited(
        tmp_path, stack, _admin_key(location) if location else lambda _: None
    )
    return graph


def _admin_ref(graph: Graph) -> Any:
    return json.loads(deployed_config_json(graph))["admin"]["api_key"]


def _secret_readers(graph: Graph) -> set[tuple[str, str, str, str]]:
    return {
        (r.inputs["project"], r.inputs["secretId"], r.inputs["role"], r.inputs["member"])
        for r in graph.by_type("gcp:secretmanager/secretIamMember:SecretIamMember")
    }


def _router_identity(graph: Graph, cloud: str) -> str:
    """The router's principal in ``cloud``, as its component publishes it."""
    [router] = graph.by_type("inferplane:index:RouterService")
    [principal] = [i["principal"] for i in router.outputs["identity"] if i["cloud"] == cloud]
    return str(principal)


def test_cloud_run_router_reads_a_secret_manager_admin_key_and_nothing_more(
    tmp_path: Path,
) -> None:
    before = _secret_readers(_plan(tmp_path / "before", "prod-europe-west4", None))
    location = {"store": "gcp_secretmanager", "name": GCP_ADMIN}
    graph = _plan(tmp_path / "after", "prod-europe-west4", location)
    member = f"serviceAccount:{_router_identity(graph, 'gcp')}"
    # Exactly one more reader: the router's account, on the admin key's secret only.
    assert _secret_readers(graph) - before == {
        ("ops-secrets-123", "router-admin", ACCESSOR, member)
    }
    assert before <= _secret_readers(graph)
    assert not [
        r for r in graph.by_type("gcp:projects/iAMMember:IAMMember") if r.inputs["role"] == ACCESSOR
    ]
    assert _admin_ref(graph) == {"store": "gcp_secretmanager", "name": GCP_ADMIN}


def _key_vault_reads(graph: Graph) -> set[tuple[str, str]]:
    return {
        (r.inputs["principalId"], r.inputs["scope"])
        for r in graph.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].rsplit("/", 1)[-1] == SECRETS_USER
    }


def test_container_app_router_reads_a_key_vault_admin_key_on_that_secret_only(
    tmp_path: Path,
) -> None:
    assert _key_vault_reads(_plan(tmp_path / "before", "prod-westeurope", None)) == set()
    location = {"store": "azure_keyvault", "vault_id": VAULT_ID, "name": "router-admin"}
    graph = _plan(tmp_path / "after", "prod-westeurope", location)
    assert _key_vault_reads(graph) == {
        (_router_identity(graph, "azure"), f"{VAULT_ID}/secrets/router-admin")
    }
    # The router resolves VAULT/SECRET with its managed identity (router/credentials.py).
    assert _admin_ref(graph) == {"store": "azure_keyvault", "name": "ops-vault/router-admin"}


def _issues(stack: str, location: dict[str, str]) -> list[str]:
    from inferplane.spec import parse_spec

    data = stack_spec_data(stack)
    data["router"]["admin_key"] = location
    regions = {"aws": "eu-central-1", "gcp": "europe-west4", "azure": "westeurope"}
    with pytest.raises(SpecError) as raised:
        parse_spec(data, "test", regions)
    return [f"{i.path}: {i.message}" for i in raised.value.issues]


@pytest.mark.parametrize(
    ("stack", "location", "expected"),
    [
        (
            "prod-eu-central-1",  # Lambda: no Google identity
            {"store": "gcp_secretmanager", "name": GCP_ADMIN},
            "router.admin_key.store: a gcp_secretmanager secret is read with the identity of "
            "a router on cloud_run, and router.platform is 'lambda'; allowed here: env, "
            "aws_secretsmanager, k8s (or move the router)",
        ),
        (
            "prod-europe-west4",  # Cloud Run: no Azure identity
            {"store": "azure_keyvault", "vault_id": VAULT_ID, "name": "router-admin"},
            "router.admin_key.store: a azure_keyvault secret is read with the identity of "
            "a router on container_app, and router.platform is 'cloud_run'; allowed here: "
            "env, aws_secretsmanager, k8s, gcp_secretmanager (or move the router)",
        ),
    ],
)
def test_a_store_the_routers_platform_cannot_read_is_refused(
    stack: str, location: dict[str, str], expected: str
) -> None:
    assert expected in _issues(stack, location)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            {"store": "gcp_secretmanager", "name": "router-admin"},
            "name 'router-admin' is not allowed for store gcp_secretmanager; use "
            "projects/<project>/secrets/<id>",
        ),
        (
            {"store": "azure_keyvault", "name": "router-admin"},
            "vault_id (the Key Vault's ARM ID) is required with store azure_keyvault",
        ),
        (
            {"store": "env", "name": "ADMIN", "vault_id": VAULT_ID},
            "allowed with it only (store: 'env')",
        ),
        (
            {"store": "azure_keyvault", "vault_id": VAULT_ID, "name": "a/b"},
            "name 'a/b' is not allowed for store azure_keyvault",
        ),
        (
            {"store": "azure_keyvault", "vault_id": "ops-vault", "name": "router-admin"},
            "must be a Key Vault's ARM ID",
        ),
    ],
)
def test_a_malformed_cloud_secret_names_the_key_and_what_is_allowed(
    location: dict[str, str], message: str
) -> None:
    issues = _issues("prod-westeurope", location)
    assert any(i.startswith("router.admin_key") and message in i for i in issues), issues


def _read_statements(graph: Graph) -> list[Any]:
    return [
        statement
        for policy in graph.by_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
    ]


@pytest.mark.parametrize("stack", ["prod-eu-central-1", "prod-k8s"])  # Lambda; EKS
def test_aws_router_reads_a_secrets_manager_admin_key_by_name_or_arn(
    tmp_path: Path, stack: str
) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:ops/admin-AbCdEf"

    def edit(spec: Spec) -> None:
        spec["router"]["admin_key"] = {"store": "aws_secretsmanager", "name": "ops/admin"}
        spec["router"]["redis"] = {"store": "aws_secretsmanager", "name": arn, "key": "url"}
        spec["router"].pop("state", None)

    tmp_path.mkdir(exist_ok=True)
    graph, _spec, _regions = plan_edited(tmp_path, stack, edit)
    resources = sorted(r for s in _read_statements(graph) for r in _listed(s["Resource"]))
    # A name's ARN carries Secrets Manager's six random characters; never '*'.
    assert resources == [
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ops/admin-??????",
        arn,
    ]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_an_edge_sites_key_is_one_of_the_secrets_the_router_reads() -> None:
    from inferplane.spec import parse_spec
    from inferplane.spec.router_secrets import router_secrets

    data = stack_spec_data("dev")
    key = {"store": "aws_secretsmanager", "name": "edge/lab/key"}
    data["targets"]["llama-lab"]["key_secret"] = key
    data["router"]["admin_key"] = {"store": "env", "name": "ADMIN"}
    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    found = [(path, loc.router_ref()) for path, loc in router_secrets(spec)]
    assert found == [
        ("router.admin_key", {"store": "env", "name": "ADMIN"}),
        ("targets.llama-lab.key_secret", key),
    ]
    # ... so a store the Lambda router cannot read is refused there too.
    data["targets"]["llama-lab"]["key_secret"] = {"store": "gcp_secretmanager", "name": GCP_ADMIN}
    with pytest.raises(SpecError) as raised:
        parse_spec(data, "test", {"aws": "us-east-1"})
    assert [i.path for i in raised.value.issues] == ["targets.llama-lab.key_secret.store"]
