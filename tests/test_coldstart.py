"""Which targets the router treats as cold (issue 16): the shipped stacks planned for real,
and the GPU fleet's warm pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplane.coldstart import cold_start
from inferplane.plan import run_program
from inferplane.spec import load_stack
from inferplane.spec.capacity import Scaling
from router.config import ColdStartConfig, RouterConfig, Timeouts

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        # Cloud Run at min 0 (Vertex keeps 1 and is not cold)
        (
            "prod-europe-west4",
            {"llama-run": ColdStartConfig(warm_s=60, max_wait_s=120, idle_s=900)},
        ),
        # Container Apps at min 0 (Azure OpenAI, Azure ML are not)
        ("prod-westeurope", {"phi-aca": ColdStartConfig(warm_s=120, max_wait_s=240, idle_s=300)}),
    ],
)
def test_the_router_config_of_a_planned_stack_marks_its_scale_to_zero_targets(
    stack: str, expected: dict[str, ColdStartConfig]
) -> None:
    graph = run_program(ROOT, load_stack(ROOT, stack))
    [router] = [r for r in graph.resources if r.type == "inferplane:index:RouterService"]
    config = RouterConfig.from_json(router.outputs["config_json"])
    cold = {name: t.cold for name, t in config.targets.items() if t.cold is not None}
    assert cold == expected
    for name, settings in expected.items():
        assert config.targets[name].timeouts == Timeouts(
            first_byte=30 + settings.max_wait_s, total=120 + settings.max_wait_s
        )


def test_a_gpu_fleet_at_min_zero_is_cold_and_warms_faster_from_its_warm_pool() -> None:
    fleet = load_stack(ROOT, "prod-us-east-1").spec.targets["llama-fleet"]
    assert cold_start(fleet) is None  # min 2
    at_zero = fleet.model_copy(update={"scaling": Scaling(min=0, max=8)})
    assert cold_start(at_zero) == ColdStartConfig(warm_s=300, max_wait_s=600, idle_s=900)
    pooled = at_zero.model_copy(update={"warm_pool": True})
    assert cold_start(pooled) == ColdStartConfig(warm_s=120, max_wait_s=240, idle_s=900)
    told = at_zero.model_copy(update={"scaling": Scaling(min=0, max=8, cold_start_s=2400)})
    assert cold_start(told) == ColdStartConfig(warm_s=2400, max_wait_s=3600, idle_s=900)
