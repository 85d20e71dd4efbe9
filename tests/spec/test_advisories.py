"""Issue 18, kind 4: safe but silent. A valid spec whose unlabelled requests (no data-class
header) would all be refused at the router, or would quietly skip a target listed for
them, gets an advisory: printed by ``plan`` and ``check``, never fatal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import Issue
from inferplane.spec import list_stacks, load_stack, parse_spec
from inferplane.spec.advice import advise
from tests.conftest import ROOT, stack_spec_data
from tests.support.cli import run_cli
from tests.support.stackfiles import stack_project

Spec = dict[str, Any]
REGIONS = {
    "dev": {"aws": "us-east-1"},
    "prod-us-east-1": {"aws": "us-east-1"},
    "prod-westeurope": {"azure": "westeurope"},
    "hybrid": {"aws": "eu-central-1", "gcp": "europe-west4", "azure": "westeurope"},
}


def _advice(stack: str, mutate: Callable[[Spec], None]) -> list[Issue]:
    data = stack_spec_data(stack)
    mutate(data)
    return advise(parse_spec(data, "test", REGIONS[stack]), REGIONS[stack])


def _no_keys(default: str | None) -> Callable[[Spec], None]:
    def mutate(d: Spec) -> None:
        d["router"]["keys"] = []
        d.pop("default_data_class")
        if default is not None:
            d["default_data_class"] = default

    return mutate


def _first_class(classes: list[str]) -> Callable[[Spec], None]:
    return lambda d: d["router"]["keys"][0].update(data_classes=classes)


def _azure_sku(sku: str) -> Callable[[Spec], None]:
    def mutate(d: Spec) -> None:
        d["targets"]["gpt-4o-mini"]["sku"] = sku
        if "Provisioned" in sku:
            d["targets"]["gpt-4o-mini"]["capacity"] = {"mode": "provisioned", "units": 15}

    return mutate


def _sonnet_4_global(d: Spec) -> None:
    d["targets"]["claude-sonnet"].update(
        model="anthropic.claude-sonnet-4-20250514-v1:0", inference="global"
    )


# (case, stack, mutation, key path of the advisory, words it must contain)
CASES: list[tuple[str, str, Callable[[Spec], None], str, tuple[str, ...]]] = [
    (
        "stack default may not pass a cloud router",
        "dev",
        _no_keys("restricted"),
        "default_data_class",
        ("'restricted'", "aws:us-east-1", "refused (403)", "public, internal"),
    ),
    (
        "unset default is the strictest class",
        "dev",
        _no_keys(None),
        "default_data_class",
        ("'restricted'", "refused (403)"),
    ),
    (
        "a key's first class may not pass the router",
        "dev",
        _first_class(["restricted", "internal"]),
        "router.keys[0].data_classes[0]",
        ("API key 'app-backend'", "'restricted'", "refused (403)"),
    ),
    (
        "router region outside the zone",
        "dev",
        lambda d: d["router"].update(region="us-west-1"),
        "router.keys[0].data_classes[0]",
        ("'internal'", "us-west-1", "outside zone 'us'"),
    ),
    (
        "Azure OpenAI GlobalStandard with a confidential default",
        "prod-westeurope",
        _azure_sku("GlobalStandard"),
        "targets.gpt-4o-mini.sku",
        ("'confidential'", "serves only: public", "GlobalStandard", "route 'complex'"),
    ),
    (
        "Azure OpenAI GlobalProvisionedManaged",
        "prod-westeurope",
        _azure_sku("GlobalProvisionedManaged"),
        "targets.gpt-4o-mini.sku",
        ("'confidential'", "serves only: public"),
    ),
    (
        "Bedrock global profile in a zone-default stack",
        "prod-us-east-1",
        _sonnet_4_global,
        "targets.claude-sonnet.inference",
        ("'confidential'", "global:aws", "inference: region"),
    ),
    (
        "a Lambda target outside the zone",
        "prod-us-east-1",
        lambda d: d["targets"]["summarize-fn"].update(region="eu-west-1"),
        "targets.summarize-fn.region",
        ("route 'summarize'", "'confidential'", "eu-west-1"),
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "path", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_silent_refusal_is_an_advisory(
    stack: str, mutate: Callable[[Spec], None], path: str, words: tuple[str, ...]
) -> None:
    advice = _advice(stack, mutate)
    assert [a.path for a in advice] == [path]
    for word in words:
        assert word in str(advice[0])


@pytest.mark.parametrize("stack", list_stacks(ROOT))
def test_shipped_stacks_have_no_advisories(stack: str) -> None:
    """Controls, the hybrid stack among them: its GlobalStandard GPT-4o is listed only in a
    route that confidential and restricted requests never reach (earlier routes catch
    them), so nothing is skipped silently."""
    assert load_stack(ROOT, stack).advisories == []


@pytest.mark.parametrize("command", [["plan", "--no-tree", "--no-cost"], ["check"]])
def test_plan_and_check_print_advisories_and_do_not_fail_on_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    project = stack_project(
        tmp_path,
        "dev",
        lambda t: t.replace("default_data_class: internal", "default_data_class: restricted"),
    )
    # dev's keys all name a class, so the stack default applies only without keys
    project_file = project / "stacks" / "Pulumi.dev.yaml"
    text = project_file.read_text()
    project_file.write_text(
        text[: text.index("      # Example client keys")] + text[text.index("      cache:") :]
    )
    code, _, err = run_cli(
        [*command, "--stack", "dev", "--project", str(project)], monkeypatch, capsys
    )
    flat = " ".join(err.split())
    assert "warning: dev: default_data_class: data class 'restricted'" in flat
    assert code == 0, err
