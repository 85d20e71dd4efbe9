"""Azure preflight checks against a loopback ARM that answers and refuses like ARM."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.preflight.azure import ArmAzureApi, LazyArmAzureApi
from inferplane.preflight.checks import azure_ml_quota, azure_openai_model
from tests.preflight.conftest import FakeCapacity, outcomes, shipped_statuses
from tests.support.fake_arm import SUBSCRIPTION, TOKEN, fake_arm


def azure_spec(targets: dict[str, Any]) -> Any:
    """The shipped Azure stack with only ``targets`` (its router, keys and residency)."""
    from inferplane.spec import parse_spec
    from tests.conftest import stack_spec_data

    data = stack_spec_data("prod-westeurope")
    data["targets"] = targets
    data["routes"] = [{"name": "default", "targets": list(targets)}]
    data.pop("forecast", None)
    data["router"].pop("target", None)
    return parse_spec(data, "test", {"azure": "westeurope"})


def _run(module: Any, spec: Any, api: Any, capacity: FakeCapacity) -> list[tuple[str, str]]:
    return outcomes(module, spec, capacity, {"azure": "westeurope"}, azure=api)


def _aoai(**extra: Any) -> dict[str, Any]:
    return {"kind": "azure_openai", "region": "westeurope", "model": "gpt-4o-mini", **extra}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            _aoai(model_version="2024-07-18", sku="DataZoneStandard"),
            ("pass", "gpt-4o-mini 2024-07-18 as DataZoneStandard in westeurope"),
        ),
        (
            _aoai(sku="Standard"),
            (
                "fail",
                "gpt-4o-mini in westeurope is not offered as Standard (offered: "
                "DataZoneStandard, GlobalStandard)",
            ),
        ),
        (
            _aoai(model_version="2024-05-13", sku="GlobalStandard"),
            (
                "fail",
                "gpt-4o-mini version 2024-05-13 is not offered in westeurope (offered: 2024-07-18)",
            ),
        ),
        (_aoai(model="gpt-5-nano"), ("fail", "gpt-5-nano is not offered in westeurope")),
        (
            _aoai(model="gpt-35-turbo", sku="Standard"),
            ("fail", "gpt-35-turbo stopped serving on 2025-03-31 in westeurope"),
        ),
    ],
)
def test_azure_openai_model_version_and_sku(
    capacity: FakeCapacity, target: dict[str, Any], expected: tuple[str, str]
) -> None:
    spec = azure_spec({"aoai": target})
    with fake_arm() as (url, state):
        results = _run(azure_openai_model, spec, ArmAzureApi(SUBSCRIPTION, TOKEN, url), capacity)
    assert results == [expected]
    # Both pages of the models list were read (ARM's nextLink paging).
    assert sum("/models" in path for path in state["seen"]) == 2


@pytest.mark.parametrize(
    ("size", "max_", "expected"),
    [
        (
            "Standard_NC24ads_A100_v4",
            2,
            (
                "pass",
                "StandardNCADSA100v4Family in westeurope: 48 cores needed at scaling.max "
                "(2 x 24), 72 free of 96",
            ),
        ),
        ("Standard_NC24ads_A100_v4", 4, ("fail", "96 cores needed at scaling.max")),
        (
            "Standard_NC40ads_H100_v5",
            1,
            ("fail", "Standard_NC40ads_H100_v5 is restricted in westeurope for this subscription"),
        ),
        ("Standard_ND96asr_v4", 1, ("fail", "Standard_ND96asr_v4 is not offered in westeurope")),
    ],
)
def test_azure_ml_size_and_quota(
    capacity: FakeCapacity, size: str, max_: int, expected: tuple[str, str]
) -> None:
    target = {
        "kind": "azure_ml",
        "region": "westeurope",
        "model": "azureml://registries/azureml/models/phi/versions/1",
        "instance_type": size,
        "scaling": {"min": 1, "max": max_},
    }
    spec = azure_spec({"ml": target})
    with fake_arm() as (url, _):
        ((status, reason),) = _run(
            azure_ml_quota, spec, ArmAzureApi(SUBSCRIPTION, TOKEN, url), capacity
        )
    assert status == expected[0]
    assert expected[1] in reason, reason


@pytest.mark.parametrize(
    ("api", "fragment"),
    [
        (lambda url: ArmAzureApi(SUBSCRIPTION, "wrong-token", url), "access denied: needs"),
        (lambda url: ArmAzureApi("11111111-0000-0000-0000-000000000000", TOKEN, url), "404"),
        (lambda url: LazyArmAzureApi(None, url), "no Azure subscription"),
    ],
)
def test_azure_errors_are_could_not_check_lines(
    capacity: FakeCapacity, monkeypatch: pytest.MonkeyPatch, api: Any, fragment: str
) -> None:
    monkeypatch.delenv("ARM_SUBSCRIPTION_ID", raising=False)
    spec = azure_spec({"aoai": _aoai()})
    with fake_arm() as (url, _):
        ((status, reason),) = _run(azure_openai_model, spec, api(url), capacity)
    assert status == "could-not-check"
    assert fragment in reason, reason


def test_a_throttling_arm_says_retry(capacity: FakeCapacity) -> None:
    spec = azure_spec({"aoai": _aoai()})
    with fake_arm() as (url, state):
        state["fail"] = (429, "TooManyRequests", "slow down")
        ((status, reason),) = _run(
            azure_openai_model, spec, ArmAzureApi(SUBSCRIPTION, TOKEN, url), capacity
        )
    assert status == "could-not-check"
    assert "HTTP 429 TooManyRequests: slow down; retry later" in reason


def test_the_shipped_azure_stack_through_the_runner(
    capacity: FakeCapacity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFERPLANE_AZURE_TOKEN", TOKEN)
    with fake_arm() as (url, _):
        statuses = shipped_statuses(
            "prod-westeurope", capacity, azure=LazyArmAzureApi(SUBSCRIPTION, url)
        )
    assert statuses[("azure-openai-model", "gpt-4o-mini")] == "pass"
    assert statuses[("azure-ml-quota", "mistral-ml")] == "pass"
    # Container Apps and the router have no Azure check yet: named, not passed.
    assert statuses[("outside-aws", "phi-aca")] == "could-not-check"
