"""recommend -> starter stack written into a temporary project -> parse_spec -> offline
plan -> policy check, end to end for every row of the decision table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import InferplaneError
from inferplane.policies.config import OrgPolicy, default_policy
from inferplane.policies.offline import check_stack
from inferplane.recommend import Requirements, decide, starter_config, starter_spec, write_stack
from inferplane.recommend.tradeoffs import cloud_options, model_price_ratio
from inferplane.spec import StackFile, load_stack
from inferplane.spec.residency import Residency
from tests.recommend.test_table import CASES

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    """A project dir with the real program and Pulumi.yaml, and an empty stacks/."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    return tmp_path


def _approving_sites(residency: Residency) -> OrgPolicy:
    policy = default_policy()
    zone = policy.zones[residency.zone]
    sites = (*zone.edge_sites, *residency.edge_sites)
    zones = {**policy.zones, residency.zone: zone.model_copy(update={"edge_sites": sites})}
    return OrgPolicy.model_validate(policy.model_dump() | {"zones": zones})


def recommend_into(project: Path, name: str, data: dict[str, Any]) -> StackFile:
    requirements = Requirements.model_validate(data)
    decision = decide(requirements)
    config = starter_config(starter_spec(requirements, decision), requirements.region)
    write_stack(project, name, config, f"starter: {decision.architecture}")
    return load_stack(project, name)


@pytest.mark.parametrize("rule_id", list(CASES))
def test_recommend_writes_a_starter_stack_that_parses(tmp_path: Path, rule_id: str) -> None:
    data, architecture, _ = CASES[rule_id]
    project = _project(tmp_path)
    stack = recommend_into(project, "starter", data)
    spec = stack.spec  # parse_spec on the written file
    assert stack.path == project / "stacks" / "Pulumi.starter.yaml"
    assert stack.path.read_text().startswith(f"# starter: {architecture}\n")
    kinds = {t.kind for t in spec.targets.values()}
    if architecture in ("edge", "hybrid"):
        assert "edge" in kinds
    if architecture == "edge":
        assert kinds == {"edge"}
        assert spec.router.platform == "edge"
    # Plan offline, then the policy pack, with the org policy approving the new edge site.
    report, _ = check_stack(project, stack, _approving_sites(spec.residency))
    assert not [f for f in report.findings if f.blocking]


def test_stack_is_not_overwritten_without_force(tmp_path: Path) -> None:
    project = _project(tmp_path)
    recommend_into(project, "starter", {})
    with pytest.raises(InferplaneError, match="exists"):
        recommend_into(project, "starter", {})


def test_architectures_are_priced_for_the_same_forecast() -> None:
    options = {o.architecture: o for o in cloud_options(Requirements(volume="steady", rps=40))}
    assert set(options) == {"managed_api", "managed_hosting", "self_hosted", "serverless"}
    api = options["managed_api"].estimate
    fleet = options["self_hosted"].estimate
    assert api is not None
    assert fleet is not None
    assert api.known_total > 0
    assert fleet.known_total > 0
    # A reservation option is offered for the fleet's always-on base.
    assert any(not c.in_stack for c in fleet.commitments)


def test_frontier_over_small_model_price_ratio() -> None:
    ratio = model_price_ratio(Requirements(region="us-east-1"))
    assert ratio is not None
    # Nova Pro over Nova Lite per 1M tokens (the starter's current models, issue 13).
    assert ratio == pytest.approx((0.8 * 0.8 + 0.2 * 3.2) / (0.8 * 0.06 + 0.2 * 0.24))


def test_unknown_region_prices_give_no_ratio() -> None:
    assert model_price_ratio(Requirements(region="eu-central-1")) is None


def test_a_pattern_whose_starter_would_not_load_is_not_offered() -> None:
    # A 7B custom model: CPU serverless (6 GiB) cannot hold it; the fleet runs it unquantized.
    custom = Requirements(capability="custom", model="Qwen/Qwen2.5-7B-Instruct", volume="variable")
    options = {o.architecture: o for o in cloud_options(custom)}
    serverless = options["serverless"]
    assert serverless.estimate is None
    assert serverless.refused is not None
    assert "does not fit" in serverless.refused
    assert serverless.summary.startswith("not offered: ")
    assert options["self_hosted"].estimate is not None


def test_the_report_says_why_when_a_cheaper_pattern_is_not_recommended() -> None:
    from inferplane.recommend.report import recommend

    result = recommend(
        Requirements(capability="custom", model="Qwen/Qwen2.5-7B-Instruct", volume="variable")
    )
    assert result.decision.cloud == "managed_hosting"
    (note,) = result.cost_notes()
    assert note.startswith(("managed_api costs $", "self_hosted costs $")), note
    assert "managed_hosting is still recommended because custom-model" in note
    assert result.to_dict()["options"]["serverless"]["offered"] is False


def test_unknown_prices_make_the_comparison_say_so() -> None:
    from inferplane.recommend.report import recommend

    (note,) = recommend(Requirements(volume="variable", region="eu-west-1")).cost_notes()
    assert "cannot be compared on cost here" in note
    assert "--prices" in note
