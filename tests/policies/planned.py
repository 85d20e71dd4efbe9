"""Plan a shipped stack, edited as data, with the real program under the offline planner
and check it: the fixtures of the issue-18 case tables come from the real components and
the real deployment, never from dicts that mirror the rules.

    report = check_edited(tmp_path, "prod-us-east-1", fleet_only(scaling={"min": 0}))
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack, provider_regions
from policies.config import OrgPolicy, default_policy
from policies.engine import StackReport
from policies.offline import check_graph
from tests.support.stackfiles import stack_project, stack_text

__all__ = [
    "Edit",
    "check_edited",
    "check_graph_of",
    "fleet_only",
    "plan_edited",
    "planned_once",
]

Spec = dict[str, Any]
Edit = Callable[[Spec], None]


def _config(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(stack_text(stack))
    return copy.deepcopy(data)


def plan_edited(
    tmp_path: Path, stack: str, edit: Edit, as_of: dt.date | None = None
) -> tuple[Graph, Any, dict[str, str]]:
    """The graph of ``stack`` after ``edit`` changed its spec; also the spec and regions."""
    data = _config(stack)
    edit(data["config"]["inferplane:spec"])
    text = yaml.safe_dump(data, sort_keys=False)
    project = stack_project(tmp_path, stack, edit=lambda _: text, name="case")
    stack_file = load_stack(project, "case", as_of)
    graph = run_program(project, stack_file)
    return graph, stack_file.spec, provider_regions(stack_file.config)


def check_edited(
    tmp_path: Path,
    stack: str,
    edit: Edit,
    policy: OrgPolicy | None = None,
    as_of: dt.date | None = None,
) -> StackReport:
    graph, spec, regions = plan_edited(tmp_path, stack, edit, as_of)
    return check_graph(graph, spec, policy or default_policy(), regions)


def fleet_only(**fleet: Any) -> Edit:
    """prod-us-east-1 cut down to its GPU fleet (planning stays fast), with ``fleet``'s
    keys replacing the target's (None deletes a key)."""

    def edit(spec: Spec) -> None:
        target = spec["targets"]["llama-fleet"]
        spec["targets"] = {"llama-fleet": target}
        spec["routes"] = [{"name": "default", "targets": ["llama-fleet"]}]
        for key, value in fleet.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    return edit


_PLANS: dict[str, tuple[str, Any, dict[str, str]]] = {}


def planned_once(key: str, stack: str, edit: Edit) -> tuple[Graph, Any, dict[str, str]]:
    """``plan_edited`` run once per ``key`` in a test session; a fresh graph each call, so
    tests may mutate it."""
    if key not in _PLANS:
        with tempfile.TemporaryDirectory() as tmp:
            graph, spec, regions = plan_edited(Path(tmp), stack, edit)
        _PLANS[key] = (graph.to_json(), spec, regions)
    text, spec, regions = _PLANS[key]
    return Graph.from_dict(json.loads(text)), spec, regions


def check_graph_of(
    graph: Graph, spec: Any, regions: dict[str, str], policy: OrgPolicy | None = None
) -> StackReport:
    return check_graph(graph, spec, policy or default_policy(), regions)
