"""IP-SAF-001 and Azure accounts a router in another cloud reaches publicly: public network
access with keys disabled (network_access: public_entra_only) is authenticated by Entra
and passes; with keys enabled it is still an open endpoint."""

from __future__ import annotations

import pytest

from tests.policies.cases import Item, World, violations
from tests.policies.support import tags


def _world(properties: dict[str, object]) -> World:
    return World(
        {
            "account": Item(
                "azure-native:cognitiveservices:Account",
                {"kind": "OpenAI", "location": "eastus", "properties": properties, "tags": tags()},
            )
        },
        spec="prod-us-east-1",
    )


@pytest.mark.parametrize(
    ("properties", "found"),
    [
        ({"publicNetworkAccess": "Enabled", "disableLocalAuth": True}, []),
        (
            {"publicNetworkAccess": "Enabled", "disableLocalAuth": False},
            ["Azure properties.publicNetworkAccess Enabled, but its target is not declared public"],
        ),
        (
            {"publicNetworkAccess": "Enabled"},
            ["Azure properties.publicNetworkAccess Enabled, but its target is not declared public"],
        ),
        ({"publicNetworkAccess": "Disabled", "disableLocalAuth": False}, []),
    ],
)
def test_entra_only_public_access_is_not_an_open_endpoint(
    properties: dict[str, object], found: list[str]
) -> None:
    assert [v.message for v in violations("IP-SAF-001", _world(properties))] == found
