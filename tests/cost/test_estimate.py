from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inferplane.cost import estimate_stack
from inferplane.cost.model import StackEstimate
from inferplane.cost.render import estimate_view
from inferplane.spec import list_stacks, load_stack, parse_spec, provider_regions
from tests.conftest import ROUTER_KEYS
from tests.cost.conftest import MONTHLY_REQUESTS, table

ROOT = Path(__file__).resolve().parents[2]
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TOKENS = (
    {"service": "bedrock", "sku": HAIKU, "unit": "1k_input_tokens", "usd": 0.001},
    {"service": "bedrock", "sku": HAIKU, "unit": "1k_output_tokens", "usd": 0.002},
)
LAMBDA = (
    {"service": "lambda", "sku": "x86", "unit": "gb_second", "usd": 0.00001},
    {"service": "lambda", "sku": "x86", "unit": "million_requests", "usd": 0.2},
    # The prod Lambda router's managed state (router.state auto): ElastiCache Serverless.
    {"service": "elasticache", "sku": "serverless-valkey", "unit": "gb_hour", "usd": 0.1},
    {"service": "elasticache", "sku": "serverless-valkey", "unit": "million_ecpus", "usd": 0.002},
)


def _estimate(spec: dict[str, Any], *prices: dict[str, Any]) -> StackEstimate:
    regions = {"aws": "us-east-1"}
    return estimate_stack(parse_spec(spec, "t", regions), "t", regions, table(*prices))


def _bedrock(**extra: Any) -> dict[str, Any]:
    return {"kind": "bedrock", "region": "us-east-1", "model": HAIKU, **extra}


def _gpu_fleet(instance_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "gpu_fleet",
        "region": "us-east-1",
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "instance_type": instance_type,
        "serving": {"engine": "vllm"},
        **extra,
    }


EC2_G5_SPOT = (
    {"service": "ec2", "sku": "g5.2xlarge", "unit": "instance_hour", "usd": 1.0},
    {"service": "ec2", "sku": "*", "unit": "spot_discount", "usd": 0.6},
)
RESERVED_2 = {"mode": "reserved", "units": 2, "reservation_ids": ["cr-0123456789abcdef0"]}


def test_on_demand_tokens_times_forecast(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {"main": _bedrock()}
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA)
    (item,) = [i for i in estimate.items if i.target == "main"]
    assert item.monthly_usd == pytest.approx(MONTHLY_REQUESTS * 0.003)
    assert estimate.unknown_items == ()


def test_missing_price_is_unknown_and_not_added_as_zero(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {"main": _bedrock()}
    estimate = _estimate(base_spec, *LAMBDA)
    (item,) = [i for i in estimate.items if i.target == "main"]
    assert item.monthly_usd is None
    assert "no bedrock per-token price" in item.basis
    assert [i.target for i in estimate.unknown_items] == ["main"]
    assert estimate.target_total("main") is None
    assert estimate.to_dict()["unknown_items"] == 1


def test_without_forecast_usage_items_are_unknown(base_spec: dict[str, Any]) -> None:
    del base_spec["forecast"]
    base_spec["targets"] = {"main": _bedrock()}
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA)
    assert {i.target for i in estimate.unknown_items} == {"main", "router"}
    assert any("no forecast" in a for a in estimate.assumptions)


def test_provisioned_throughput_break_even_and_saving(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {
        "main": _bedrock(capacity={"mode": "provisioned", "units": 2, "term": "1_month"})
    }
    mu_hour = {
        "service": "bedrock",
        "sku": HAIKU,
        "unit": "model_unit_hour",
        "term": "1_month",
        "usd": 20,
    }
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA, mu_hour)
    (commitment,) = estimate.commitments
    monthly = 2 * 20 * 720
    assert commitment.in_stack
    assert commitment.monthly_usd == pytest.approx(monthly)
    assert commitment.on_demand_usd == pytest.approx(MONTHLY_REQUESTS * 0.003)
    assert commitment.saving_usd == pytest.approx(MONTHLY_REQUESTS * 0.003 - monthly)
    # Break-even: the request rate whose on-demand cost equals the commitment.
    assert commitment.break_even == pytest.approx(monthly / 0.003 / (720 * 3600))
    assert commitment.break_even_unit == "rps"
    assert commitment.forecast == pytest.approx(10)


def test_provisioned_without_price_reports_unknown_break_even(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {
        "main": _bedrock(capacity={"mode": "provisioned", "units": 1, "term": "6_months"})
    }
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA)
    (commitment,) = estimate.commitments
    assert commitment.monthly_usd is None
    assert commitment.break_even is None
    assert commitment.saving_usd is None
    assert "no model-unit-hour price" in commitment.note


def test_instance_hours_scale_to_max_in_peak_hours(base_spec: dict[str, Any]) -> None:
    base_spec["forecast"]["peak_hours_per_day"] = 2
    base_spec["targets"] = {
        "main": {
            "kind": "sagemaker",
            "region": "us-east-1",
            "model": "m",
            "instance_type": "ml.g5.2xlarge",
            "scaling": {"min": 1, "max": 3},
        }
    }
    price = {"service": "sagemaker", "sku": "ml.g5.2xlarge", "unit": "instance_hour", "usd": 2.0}
    discount = {
        "service": "sagemaker",
        "sku": "*",
        "unit": "reserved_discount",
        "term": "1_year",
        "usd": 0.4,
    }
    estimate = _estimate(base_spec, *LAMBDA, price, discount)
    (item,) = [i for i in estimate.items if i.target == "main"]
    assert item.monthly_usd == pytest.approx((1 * 660 + 3 * 60) * 2.0)
    (option,) = estimate.commitments
    assert not option.in_stack
    assert option.monthly_usd == pytest.approx(720 * 2.0 * 0.6)
    assert option.saving_fraction == pytest.approx(0.4)
    assert option.break_even == pytest.approx(0.6)


def test_gpu_fleet_spot_above_on_demand_base(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {
        "main": _gpu_fleet(
            "g5.2xlarge",
            scaling={"min": 4, "max": 4},
            spot={"on_demand_base": 1, "spot_percentage": 50},
            capacity=RESERVED_2,
        )
    }
    estimate = _estimate(base_spec, *LAMBDA, *EC2_G5_SPOT)
    items = {i.item: i.monthly_usd for i in estimate.items if i.target == "main"}
    # 4 instances x 720 h; 1 always on demand, half of the other 3 on spot.
    assert items["g5.2xlarge on-demand instance-hours"] == pytest.approx((720 + 1.5 * 720) * 1.0)
    assert items["g5.2xlarge spot instance-hours"] == pytest.approx(1.5 * 720 * 0.4)
    (odcr,) = [c for c in estimate.commitments if c.in_stack]
    assert odcr.monthly_usd == pytest.approx(2 * 720)
    # Only 1 of the 2 reserved instances is always busy (the on-demand base).
    assert odcr.forecast == pytest.approx(0.5)
    assert odcr.saving_usd == pytest.approx(-720)


def test_the_on_demand_fallback_moves_an_assumed_share_of_spot_hours_on_demand(
    base_spec: dict[str, Any],
) -> None:
    base_spec["targets"] = {
        "main": _gpu_fleet(
            "g5.2xlarge",
            scaling={"min": 4, "max": 4},
            spot={"on_demand_base": 1, "spot_percentage": 100, "on_demand_fallback": True},
        )
    }
    estimate = _estimate(base_spec, *LAMBDA, *EC2_G5_SPOT)
    items = {i.item: i.monthly_usd for i in estimate.items if i.target == "main"}
    # 3 instances above the base on spot; 10% of their hours on demand instead.
    assert items == {
        "g5.2xlarge on-demand instance-hours": pytest.approx(720 * 1.0),
        "g5.2xlarge on-demand fallback instance-hours": pytest.approx(3 * 720 * 0.1 * 1.0),
        "g5.2xlarge spot instance-hours": pytest.approx(3 * 720 * 0.9 * 0.4),
    }
    assert any("on-demand fallback run 10% of their spot hours" in a for a in estimate.assumptions)


def test_shares_split_traffic_between_targets(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {"main": _bedrock(), "other": _bedrock()}
    base_spec["routes"] = [{"name": "default", "targets": ["main", "other"]}]
    base_spec["forecast"]["shares"] = {"main": 0.25, "other": 0.75}
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA)
    assert estimate.target_total("main") == pytest.approx(MONTHLY_REQUESTS * 0.25 * 0.003)
    assert estimate.target_total("other") == pytest.approx(MONTHLY_REQUESTS * 0.75 * 0.003)


def test_fallback_targets_serve_nothing_without_shares(base_spec: dict[str, Any]) -> None:
    base_spec["targets"] = {"main": _bedrock(), "other": _bedrock()}
    base_spec["routes"] = [{"name": "default", "targets": ["main", "other"]}]
    estimate = _estimate(base_spec, *TOKENS, *LAMBDA)
    assert estimate.target_total("other") == 0
    assert any("'main'" in a for a in estimate.assumptions)


def test_azure_ptu_hourly(base_spec: dict[str, Any]) -> None:
    base_spec["residency"]["regions"] = {"azure": ["eastus"]}
    base_spec["targets"] = {
        "main": {
            "kind": "azure_openai",
            "region": "eastus",
            "model": "gpt-4o",
            "sku": "ProvisionedManaged",
            "capacity": {"mode": "provisioned", "units": 50},
        }
    }
    base_spec["router"] = {
        "platform": "container_app",
        "region": "eastus",
        "image": "acme.azurecr.io/inferplane/router@sha256:" + "a" * 64,
        "keys": ROUTER_KEYS,
    }
    prices = (
        {"service": "azure_openai", "sku": "gpt-4o", "unit": "1k_input_tokens", "usd": 0.0025},
        {"service": "azure_openai", "sku": "gpt-4o", "unit": "1k_output_tokens", "usd": 0.01},
        {"service": "azure_openai", "sku": "ptu", "unit": "ptu_hour", "usd": 2.0},
    )
    estimate = _estimate(base_spec, *prices)
    (commitment,) = estimate.commitments
    assert commitment.monthly_usd == pytest.approx(50 * 2.0 * 720)
    assert commitment.on_demand_usd == pytest.approx(MONTHLY_REQUESTS * 0.0125)
    (router,) = [i for i in estimate.items if i.kind == "router"]
    assert router.monthly_usd is None


def test_edge_is_on_prem_not_unknown(base_spec: dict[str, Any]) -> None:
    base_spec["residency"]["edge_sites"] = ["plant"]
    base_spec["targets"] = {
        "main": {
            "kind": "edge",
            "site": "plant",
            "profile": "cpu",
            "model": "llama-3.1-8b-instruct",
            "serving": {"engine": "llamacpp", "quantization": "q4_k_m"},
        }
    }
    base_spec["router"] = {"platform": "edge", "target": "main", "keys": ROUTER_KEYS}
    estimate = _estimate(base_spec)
    assert estimate.unknown_items == ()
    assert estimate.known_total == 0
    assert all(not i.billed for i in estimate.items)


@pytest.mark.parametrize("stack", list_stacks(ROOT))
def test_every_shipped_stack_has_an_estimate(stack: str) -> None:
    from rich.console import Console

    stack_file = load_stack(ROOT, stack)
    estimate = estimate_stack(stack_file.spec, stack, provider_regions(stack_file.config))
    assert {i.target for i in estimate.items} >= set(stack_file.spec.targets)
    data = estimate.to_dict()
    assert data["prices_as_of"] == "2026-11-26"
    console = Console(record=True, width=200)
    console.print(estimate_view(estimate))
    assert stack in console.export_text()


def test_a_reservation_stays_in_the_report_when_its_price_is_unknown(
    base_spec: dict[str, Any],
) -> None:
    base_spec["targets"] = {
        "main": _gpu_fleet("g6e.12xlarge", scaling={"min": 2, "max": 4}, capacity=RESERVED_2)
    }
    estimate = _estimate(base_spec, *LAMBDA)  # no EC2 prices at all
    (odcr,) = estimate.commitments
    assert odcr.in_stack
    assert odcr.monthly_usd is None
    assert "2 x g6e.12xlarge" in odcr.commitment
    assert "no EC2 price for g6e.12xlarge in us-east-1" in odcr.note
    assert estimate.to_dict()["commitments"][0]["monthly_usd"] is None
