"""Issue 18, capacity kinds on real plans of prod-us-east-1's GPU fleet:

- IP-CAP-005 reads the running baseline (min *and* desired, plus a running warm pool),
  not only the ASG minimum;
- GPU-ness comes from the instance catalog (EC2 DescribeInstanceTypes data), so current
  families (g7e, g6f, gr6f, p6-b300) are GPUs and unknown accelerator-shaped names are
  said so, never skipped; names compare case-insensitively;
- a fleet that creates its reservation from ``capacity.units`` carries the approval tag,
  so such a stack passes ``plan`` and ``check`` end to end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from inferplane.catalog.instances import instance_facts
from inferplane.plan import Graph
from inferplane.policies.engine import Finding, StackReport
from tests.policies.planned import (
    Edit,
    check_edited,
    check_graph_of,
    fleet_only,
    planned_once,
)
from tests.support.stackfiles import stack_project, stack_text

LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
FUTURE = (dt.date.today() + dt.timedelta(days=120)).isoformat()


def rules_of(report: StackReport, *ids: str) -> list[Finding]:
    return [f for f in report.findings if f.rule.id in ids]


# --- kind 1: the baseline is min and desired ---------------------------------------------

# (label, fleet keys, environment, expected CAP-005 spec key or None, words in message)
BASELINE = [
    ("min 0, desired 2, no reservation", {"scaling": {"min": 0, "max": 8, "desired": 2}},
     "prod", "targets.llama-fleet.capacity", "keeps 2 instances running (min 0, desired 2)"),
    ("min 2, no desired, no reservation", {"scaling": {"min": 2, "max": 8}},
     "prod", "targets.llama-fleet.capacity", "keeps 2 instances running (min 2, desired 2)"),
    ("min 0, desired 0", {"scaling": {"min": 0, "max": 8, "desired": 0}}, "prod", None, ""),
    ("min 0, no desired", {"scaling": {"min": 0, "max": 8}}, "prod", None, ""),
    ("min 1, desired 3, reservation of 2",
     {"scaling": {"min": 1, "max": 8, "desired": 3},
      "capacity": {"mode": "reserved", "units": 2, "approval": "CHG-7", "end_date": FUTURE}},
     "prod", "targets.llama-fleet.capacity.units", "cover 2 of the 3 on-demand instances"),
    ("min 1, desired 3, reservation of 3",
     {"scaling": {"min": 1, "max": 8, "desired": 3},
      "capacity": {"mode": "reserved", "units": 3, "approval": "CHG-7", "end_date": FUTURE}},
     "prod", None, ""),
    ("min 0, desired 2 outside prod", {"scaling": {"min": 0, "max": 8, "desired": 2}},
     "staging", None, ""),
]  # fmt: skip


def baseline_edit(fleet: dict[str, Any], environment: str) -> Edit:
    edit = fleet_only(**{"capacity": None, "spot": None, **fleet})

    def apply(spec: dict[str, Any]) -> None:
        edit(spec)
        spec["environment"] = environment

    return apply


@pytest.mark.parametrize(
    ("label", "fleet", "environment", "key", "words"), BASELINE, ids=[c[0] for c in BASELINE]
)
def test_baseline_is_min_and_desired(
    tmp_path: Path,
    label: str,
    fleet: dict[str, Any],
    environment: str,
    key: str | None,
    words: str,
) -> None:
    report = check_edited(tmp_path, "prod-us-east-1", baseline_edit(fleet, environment))
    found = rules_of(report, "IP-CAP-005")
    assert [f.spec_path for f in found] == ([key] if key else [])
    if key:
        assert words in found[0].message
        assert found[0].resource_name == "llama-fleet-asg"
        assert found[0].blocking


def no_reservation_fleet() -> tuple[Graph, Any, dict[str, str]]:
    return planned_once(
        "fleet min 0 desired 0",
        "prod-us-east-1",
        baseline_edit({"scaling": {"min": 0, "max": 8, "desired": 0}}, "prod"),
    )


def test_running_warm_pool_counts_as_baseline() -> None:
    graph, spec, regions = no_reservation_fleet()
    [group] = graph.by_type(ASG)
    assert not rules_of(check_graph_of(graph, spec, regions), "IP-CAP-005")
    group.inputs["warmPool"] = {"minSize": 2, "poolState": "Running"}
    [finding] = rules_of(check_graph_of(graph, spec, regions), "IP-CAP-005")
    assert "running warm pool 2" in finding.message
    group.inputs["warmPool"]["poolState"] = "Stopped"  # stopped instances hold no capacity
    assert not rules_of(check_graph_of(graph, spec, regions), "IP-CAP-005")


# --- kind 2: GPU-ness from the instance catalog -------------------------------------------

# (instance type, accelerated, devices, device, memory GiB at least)
CATALOG = [
    ("g7e.2xlarge", True, 1, "NVIDIA RTX PRO Server 6000", 90),
    ("g6f.large", True, 0.125, "NVIDIA L4", 2),
    ("gr6f.4xlarge", True, 0.5, "NVIDIA L4", 10),
    ("p6-b300.48xlarge", True, 8, "NVIDIA B300", 2000),
    ("p5.48xlarge", True, 8, "NVIDIA H100", 600),
    ("g6e.xlarge", True, 1, "NVIDIA L40S", 40),
    ("inf2.xlarge", True, 1, "AWS Inferentia2", 30),
    ("trn2.48xlarge", True, 16, "AWS Trainium2", 1),
    ("dl2q.24xlarge", True, 8, "Qualcomm AI100", 100),
    ("ml.g6e.xlarge", True, 1, "NVIDIA L40S", 40),
    ("G5.2XLARGE", True, 1, "NVIDIA A10G", 20),
    ("p3.2xlarge", True, None, "NVIDIA V100", None),
    ("g6.96xlarge", True, None, "NVIDIA L4", None),
    ("m7i.large", False, None, None, None),
    ("ml.m5.large", False, None, None, None),
    ("c7g.16xlarge", False, None, None, None),
    ("Standard_NC24ads_A100_v4", True, 1, "A100", 80),
    ("standard_nc24ads_a100_v4", True, 1, "A100", 80),
    ("Standard_ND96isr_H200_v5", True, None, None, None),
    ("Standard_D4s_v5", False, None, None, None),
    ("a3-highgpu-8g", True, 8, "H100", 600),
    ("a4-highgpu-8g", True, None, None, None),
    ("g2-standard-8", True, 1, "L4", 20),
    ("n2-standard-8", False, None, None, None),
    ("g9.xlarge", None, None, None, None),
    ("x9z.large", None, None, None, None),
]


@pytest.mark.parametrize(("name", "accelerated", "devices", "device", "gib"), CATALOG,
                         ids=[c[0] for c in CATALOG])  # fmt: skip
def test_instance_catalog(
    name: str, accelerated: bool | None, devices: int | None, device: str | None, gib: int | None
) -> None:
    facts = instance_facts(name)
    assert facts.accelerated is accelerated
    assert facts.devices == devices
    assert facts.device == device
    if gib is not None:
        assert facts.memory_gib is not None
        assert facts.memory_gib >= gib
    assert facts.looks_accelerated is (name == "g9.xlarge")


# (instance type, CAP-005 fires, SAF-007 message words or None)
GPU_RULES = [
    ("g7e.2xlarge", True, "not approved"),
    ("g6f.large", True, "not approved"),
    ("gr6f.4xlarge", True, "not approved"),
    ("p6-b300.48xlarge", True, "not approved"),
    ("trn2.48xlarge", True, "not approved"),
    ("G5.2XLARGE", True, None),  # approved (g5.*) in any case
    ("g5.2xlarge", True, None),
    ("g9.xlarge", True, "not in the instance catalog"),
    ("m7i.large", False, None),
    ("x9z.large", False, None),
]


def with_instance_type(instance_type: str) -> tuple[Graph, Any, dict[str, str]]:
    graph, spec, regions = planned_once(
        "fleet min 2",
        "prod-us-east-1",
        baseline_edit({"scaling": {"min": 2, "max": 8}}, "prod"),
    )
    [template] = graph.by_type(LT)
    assert template.inputs["instanceType"] == "g5.2xlarge"
    template.inputs["instanceType"] = instance_type
    return graph, spec, regions


@pytest.mark.parametrize(("instance_type", "reserved_rule", "approval"), GPU_RULES,
                         ids=[c[0] for c in GPU_RULES])  # fmt: skip
def test_gpu_rules_read_the_catalog(
    instance_type: str, reserved_rule: bool, approval: str | None
) -> None:
    report = check_graph_of(*with_instance_type(instance_type))
    cap = rules_of(report, "IP-CAP-005")
    assert bool(cap) is reserved_rule
    if cap and instance_facts(instance_type).accelerated is None:
        assert "not in the instance catalog; treated as accelerators" in cap[0].message
    saf = rules_of(report, "IP-SAF-007")
    if approval is None:
        assert saf == []
    else:
        [finding] = saf
        assert approval in finding.message
        assert finding.spec_path == "targets.llama-fleet.instance_type"
        assert finding.status == "advisory"


def test_org_may_add_accelerator_types_but_not_remove_catalog_ones() -> None:
    from inferplane.policies.config import default_policy

    extra = default_policy().model_copy(update={"gpu_instance_patterns": ("X9Z.*",)})
    assert rules_of(check_graph_of(*with_instance_type("x9z.large"), extra), "IP-CAP-005")
    assert extra.is_gpu("g7e.2xlarge")


def test_catalog_is_generated_from_moto_data_and_dated() -> None:
    from inferplane.catalog import ec2_instances_data as data

    assert dt.date.fromisoformat(data.AS_OF)
    assert data.SOURCE.startswith("moto ")
    assert "ec2/resources/instance_types.json.gz" in data.SOURCE


# --- kind 5: a created reservation carries its approval -----------------------------------

# (label, environment, capacity, expected blocking rule IDs)
CREATED = [
    ("prod, approval, end date ahead", "prod",
     {"mode": "reserved", "units": 2, "approval": "CHG-2042", "end_date": FUTURE}, set()),
    ("prod, approval, no end date", "prod",
     {"mode": "reserved", "units": 2, "approval": "CHG-2042"}, set()),
    ("staging, approval, end date ahead", "staging",
     {"mode": "reserved", "units": 2, "approval": "CHG-2042", "end_date": FUTURE}, set()),
    ("prod, no approval", "prod",
     {"mode": "reserved", "units": 2, "end_date": FUTURE}, {"IP-CAP-002"}),
]  # fmt: skip


@pytest.mark.parametrize(("label", "environment", "capacity", "blocking"), CREATED,
                         ids=[c[0] for c in CREATED])  # fmt: skip
def test_created_reservation_is_tagged_with_its_approval(
    tmp_path: Path, label: str, environment: str, capacity: dict[str, Any], blocking: set[str]
) -> None:
    edit = baseline_edit({"scaling": {"min": 2, "max": 8}, "capacity": capacity}, environment)
    report = check_edited(tmp_path, "prod-us-east-1", edit)
    assert {f.rule.id for f in report.findings if f.blocking} == blocking
    if blocking:
        [finding] = rules_of(report, "IP-CAP-002")
        assert finding.spec_path == "targets.llama-fleet.capacity.approval"


def test_created_reservation_tag_comes_from_the_spec(tmp_path: Path) -> None:
    from tests.policies.planned import plan_edited

    capacity = {"mode": "reserved", "units": 2, "approval": "CHG-2042", "end_date": FUTURE}
    graph, _, _ = plan_edited(
        tmp_path, "prod-us-east-1", baseline_edit({"capacity": capacity}, "prod")
    )
    [reservation] = graph.by_type(RESERVATION)
    assert reservation.inputs["tags"]["capacity-approval"] == "CHG-2042"
    assert reservation.inputs["tags"]["capacity-end-date"] == FUTURE
    assert reservation.inputs["instanceCount"] == 2


def test_stack_creating_a_reservation_passes_plan_and_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end through the CLI, as a user runs it: an unquoted YAML date, checked
    ``--as-of`` a day before it ends."""
    data = yaml.safe_load(stack_text("prod-us-east-1"))
    fleet = data["config"]["inferplane:spec"]["targets"]["llama-fleet"]
    fleet.pop("spot")
    fleet["capacity"] = {"mode": "reserved", "units": 2, "approval": "CHG-2042"}
    text = yaml.safe_dump(data, sort_keys=False).replace(
        "approval: CHG-2042\n", "approval: CHG-2042\n          end_date: 2027-03-31\n", 1
    )
    assert "end_date: 2027-03-31\n" in text  # unquoted: YAML would make it a date
    project = stack_project(tmp_path, "prod-us-east-1", edit=lambda _: text, name="reserve")
    from inferplane.cli import main

    for args in (
        ["plan", "--stack", "reserve", "--as-of", "2027-03-30"],
        ["check", "--stack", "reserve", "--as-of", "2027-03-30", "--format", "json"],
    ):
        monkeypatch.setattr(
            sys, "argv", ["inferplane", *args[:1], "--project", str(project), *args[1:]]
        )
        with pytest.raises(SystemExit) as exit_info:
            main()
        out = capsys.readouterr().out
        assert exit_info.value.code in (0, None), out
    report = json.loads(out)
    assert report["summary"]["violations"] == 0
    # ...and a day after it ended the spec refuses the past end date.
    monkeypatch.setattr(
        sys,
        "argv",
        ["inferplane", "check", "--project", str(project), "--stack", "reserve",
         "--as-of", "2027-04-01"],
    )  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2


# The model-fit check asks the same catalog for types its hand table lacks.
GPU_OF = [
    ("g5.2xlarge", "1x A10G 24 GiB"),  # the hand table wins where it has the type
    ("g7e.2xlarge", "1x NVIDIA RTX PRO Server 6000 96 GiB"),
    ("p6-b300.48xlarge", "8x NVIDIA B300 268.594 GiB"),
    ("g6f.large", "1x NVIDIA L4 slice (0.125) 2.79395 GiB"),
    ("m7i.large", None),
    ("g9.xlarge", None),  # unknown: no memory to judge by
]


@pytest.mark.parametrize(("name", "spec"), GPU_OF, ids=[c[0] for c in GPU_OF])
def test_model_fit_reads_the_catalog(name: str, spec: str | None) -> None:
    from inferplane.catalog.accelerators import gpu_of

    found = gpu_of(name)
    assert (str(found) if found else None) == spec


def test_desired_above_min_counts_for_the_on_demand_part() -> None:
    """With spot (policies/spot.py), the on-demand share is taken of the running baseline,
    desired included: min 0, desired 4, on-demand base 2 needs 2 reserved."""
    from inferplane.components.aws.gpu_fleet import GpuFleet
    from inferplane.policies.model import Stack
    from inferplane.policies.normalize import from_graph
    from inferplane.policies.rules.cap_005_prod_gpu_baseline_reserved import check as cap_005
    from tests.policies.support import context
    from tests.policies.test_spot_baseline import SPOT
    from tests.support.recording import record

    fleet = dataclasses.replace(SPOT, min_size=0, desired=4, created_reservation=None)
    stack = Stack("test", from_graph(record(lambda: GpuFleet("llama", fleet))))
    [violation] = cap_005(stack, context())
    assert violation.message == (
        "prod GPU fleet (g5.2xlarge, g6.2xlarge) keeps 4 instances running (min 0, desired 4,"
        " 2 on demand) and targets no capacity reservation"
    )
