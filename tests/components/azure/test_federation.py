"""GoogleFederatedIdentity: a managed identity the router's Google account acts as."""

from __future__ import annotations

import pytest

from inferplane.components.azure.federation import (
    GoogleFederatedIdentity,
    GoogleFederatedIdentityArgs,
    azure_grant,
    role_id,
)
from inferplane.components.wiring import Grant
from tests.support.recording import component_outputs, only, record

SCOPE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a"


def _identity(grants: list[Grant]) -> object:
    return GoogleFederatedIdentity(
        "fed",
        GoogleFederatedIdentityArgs(
            location="westeurope",
            identity_name="router-gcp",
            google_unique_id="112233445566778899001",
            grants=grants,
        ),
    )


def test_federated_credential_trusts_the_service_account_and_roles_follow_the_grants() -> None:
    graph = record(
        lambda: _identity(
            [
                Grant(cloud="azure", actions=["Cognitive Services OpenAI User"], resources=[SCOPE]),
                Grant(
                    cloud="azure",
                    actions=["AzureML Data Scientist"],
                    resources=[SCOPE + "-ml"],
                ),
            ]
        )
    )
    credential = only(graph, "azure-native:managedidentity:FederatedIdentityCredential").inputs
    assert (credential["issuer"], credential["subject"], credential["audiences"]) == (
        "https://accounts.google.com",
        "112233445566778899001",
        ["api://AzureADTokenExchange"],
    )
    outputs = component_outputs(graph, "inferplane:azure:GoogleFederatedIdentity")
    assignments = {
        (
            r.inputs["principalId"],
            r.inputs["roleDefinitionId"].rsplit("/", 1)[-1],
            r.inputs["scope"],
        )
        for r in graph.by_type("azure-native:authorization:RoleAssignment")
    }
    assert assignments == {
        (outputs["principal_id"], "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", SCOPE),
        (outputs["principal_id"], "f6c7c914-8db3-469d-8ca1-694a8f32e121", SCOPE + "-ml"),
    }
    assert {"client_id", "tenant_id"} <= set(outputs)


def test_role_names_resolve_to_built_in_guids_and_unknown_names_are_refused() -> None:
    assert role_id("Cognitive Services OpenAI User") == "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    guid = "a97b65f3-24c7-4388-baec-2e87135dc908"
    assert role_id(guid) == guid
    with pytest.raises(ValueError, match="'Owner' is not a known built-in role"):
        role_id("Owner")


def test_a_non_azure_grant_is_refused() -> None:
    with pytest.raises(ValueError, match="need an Azure grant"):
        azure_grant(Grant(cloud="gcp", actions=["roles/aiplatform.user"], resources=["projects/p"]))
