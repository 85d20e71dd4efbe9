"""Issue 18, "safe but silent": a router placed where the data class of unlabelled
requests may not go (every such request a 403), and a route target where it may not go
(an Azure OpenAI GlobalStandard deployment for a confidential default), are findings
(IP-RES-008, advisory) — on real plans of shipped stacks, edited as a user would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.policies.planned import Edit, check_edited

GLOBAL_GPT = {
    "kind": "azure_openai",
    "region": "westeurope",
    "model": "gpt-4o",
    "model_version": "2024-11-20",
    "sku": "GlobalStandard",
    "tpm_thousands": 100,
}


def unlabelled_keys(spec: dict[str, Any]) -> None:
    """API keys bound to no data class: their unlabelled requests take the stack's
    default_data_class."""
    for key in spec["router"]["keys"]:
        key.pop("data_classes", None)


def with_global_target(sku: str = "GlobalStandard", default: str | None = "confidential",
                       keys: bool = True) -> Edit:  # fmt: skip
    def edit(spec: dict[str, Any]) -> None:
        spec["targets"] = {
            "gpt-4o-mini": spec["targets"]["gpt-4o-mini"],
            "gpt-4o-global": {**GLOBAL_GPT, "sku": sku},
        }
        spec["routes"] = [{"name": "default", "targets": ["gpt-4o-global", "gpt-4o-mini"]}]
        if default is None:
            spec.pop("default_data_class", None)
        else:
            spec["default_data_class"] = default
        if not keys:
            unlabelled_keys(spec)

    return edit


def dev_default(default: str, first_key_class: str | None = None) -> Edit:
    def edit(spec: dict[str, Any]) -> None:
        spec["default_data_class"] = default
        if first_key_class is None:
            unlabelled_keys(spec)
        else:
            spec["router"]["keys"][0]["data_classes"] = [first_key_class]

    return edit


# (label, stack, edit, expected findings as {(spec key, words in the message)})
CASES = [
    (
        "GlobalStandard target, confidential stack default (keys without a class)",
        "prod-westeurope",
        with_global_target(keys=False),
        {("targets.gpt-4o-global.sku", "'confidential' (the stack's default)")},
    ),
    (
        "GlobalStandard target, confidential first class of an API key",
        "prod-westeurope",
        with_global_target(),
        {("targets.gpt-4o-global.sku", "'confidential' (the default of API key 'app-backend')")},
    ),
    (
        "DataZoneStandard target serves confidential",
        "prod-westeurope",
        with_global_target(sku="DataZoneStandard", keys=False),
        set(),
    ),
    (
        "GlobalStandard target, public default",
        "prod-westeurope",
        with_global_target(default="public", keys=False),
        set(),
    ),
    (
        "cloud router, edge-only stack default (keys without a class)",
        "dev",
        dev_default("restricted"),
        {("default_data_class", "may not pass through the router")},
    ),
    (
        "cloud router, edge-only first class of an API key",
        "dev",
        dev_default("internal", first_key_class="restricted"),
        {("router.keys[0].data_classes[0]", "may not pass through the router")},
    ),
    (
        "cloud router, zone default inside the zone",
        "dev",
        dev_default("internal"),
        set(),
    ),
]


@pytest.mark.parametrize(("label", "stack", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_unlabelled_requests(
    tmp_path: Path, label: str, stack: str, edit: Edit, expected: set[tuple[str, str]]
) -> None:
    report = check_edited(tmp_path, stack, edit)
    found = [f for f in report.findings if f.rule.id == "IP-RES-008"]
    assert {f.spec_path for f in found} == {key for key, _ in expected}, [f.message for f in found]
    for key, words in expected:
        [finding] = [f for f in found if f.spec_path == key]
        assert words in finding.message
        assert finding.status == "advisory"
        assert finding.fix
    # Advisory: the stack still passes.
    assert not [f for f in report.findings if f.blocking], [f.message for f in report.findings]
