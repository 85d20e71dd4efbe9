"""IP-CAP-005 on fleets recorded from the real GpuFleet: only the on-demand part of a
prod baseline is guaranteed and needs reserving; spot is never a baseline."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from inferplane.components.aws.gpu_fleet import CreatedReservation, GpuFleet, GpuFleetArgs
from inferplane.policies.model import Stack
from inferplane.policies.normalize import from_graph
from inferplane.policies.rules.cap_005_prod_gpu_baseline_reserved import RULE, check
from inferplane.policies.spot import on_demand_baseline
from tests.components.aws.fleets import BASE
from tests.policies.support import context
from tests.support.recording import record

GROUP = "aws:autoscaling/group:Group"
# A prod fleet of 4 instances at least, 2 of them on demand, the rest spot; the stack
# reserves 2 instances.
SPOT = replace(
    BASE,
    min_size=4,
    max_size=8,
    desired=4,
    on_demand_base=2,
    spot_percentage=100,
    extra_instance_types=("g6.2xlarge",),
    reservation=None,
    created_reservation=CreatedReservation(2, dt.date(2027, 6, 30)),
)


def findings(args: GpuFleetArgs) -> tuple[list[str], dict[str, float | None]]:
    resources = from_graph(record(lambda: GpuFleet("llama", args)))
    stack = Stack("test", resources)
    messages = [v.message for v in check(stack, context())]
    baselines = {r.name: on_demand_baseline(r) for r in stack.of_type(GROUP)}
    return messages, baselines


def test_the_reserved_on_demand_base_is_the_whole_guarantee() -> None:
    # On old main this failed: "reservations cover 2 of the baseline's 4 instances",
    # though the two spot instances can never use a reservation.
    messages, baselines = findings(SPOT)
    assert messages == []
    assert baselines == {"llama-asg": 2.0}


def test_the_fallback_group_is_no_baseline() -> None:
    messages, baselines = findings(replace(SPOT, on_demand_fallback=True))
    assert messages == []
    assert baselines == {"llama-asg": 2.0, "llama-fallback-asg": 0.0}


def test_an_all_spot_prod_baseline_is_flagged() -> None:
    messages, _ = findings(replace(SPOT, on_demand_base=0, created_reservation=None))
    assert messages == [
        "prod GPU fleet (g5.2xlarge, g6.2xlarge) keeps 4 instances running (min 4, desired 4),"
        " all on spot: nothing of it is guaranteed"
    ]


def test_a_reservation_smaller_than_the_on_demand_part_is_flagged() -> None:
    messages, _ = findings(
        replace(SPOT, on_demand_base=3, created_reservation=CreatedReservation(2, None))
    )
    assert messages == [
        "reservations cover 2 of the 3 on-demand instances the fleet keeps running"
        " (min 4, desired 4, 3 on demand)"
    ]


@pytest.mark.parametrize(
    ("base", "spot_percentage", "expected"),
    # min_size 4: the base, then the on-demand share of the rest rounded up (AWS favours
    # on-demand when the share is fractional).
    [(0, 100, 0.0), (1, 50, 3.0), (2, 50, 3.0), (2, 75, 3.0), (0, 30, 3.0), (4, 100, 4.0)],
)
def test_on_demand_share_of_the_baseline(base: int, spot_percentage: int, expected: float) -> None:
    args = replace(SPOT, on_demand_base=base, spot_percentage=spot_percentage)
    _, baselines = findings(replace(args, created_reservation=None))
    assert baselines["llama-asg"] == expected


def test_without_spot_the_whole_baseline_is_on_demand() -> None:
    args = replace(SPOT, spot_percentage=0, extra_instance_types=(), created_reservation=None)
    messages, baselines = findings(args)
    assert baselines == {"llama-asg": 4.0}
    assert messages == [
        "prod GPU fleet (g5.2xlarge) keeps 4 instances running (min 4, desired 4) and targets no"
        " capacity reservation"
    ]
    assert RULE.id == "IP-CAP-005"
