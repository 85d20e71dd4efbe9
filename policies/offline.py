"""The offline check: the graph from ``inferplane plan`` (run here, or read from
``plan --json``) plus the stack spec, through every rule."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from inferplane.errors import ConfigFileError
from inferplane.plan import Graph, run_program
from inferplane.spec import StackFile, StackSpec, provider_regions
from policies.config import OrgPolicy
from policies.engine import StackReport, evaluate
from policies.model import Context
from policies.normalize import stack_from_graph

__all__ = ["check_graph", "check_stack", "load_graphs"]


def check_graph(
    graph: Graph,
    spec: StackSpec | None,
    policy: OrgPolicy,
    default_regions: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
) -> StackReport:
    stack = stack_from_graph(graph, spec, default_regions)
    report = evaluate(stack, Context(policy, spec, as_of=as_of))
    if spec is None:
        report.notes.append(
            "no stack spec: rules that need it (forecast, declared-public) were limited"
        )
    return report


def check_stack(
    project: Path, stack: StackFile, policy: OrgPolicy, as_of: dt.date | None = None
) -> tuple[StackReport, float]:
    """Plan ``stack`` offline and check it (date rules judge by ``as_of``, default
    today); also returns the plan's own seconds."""
    import time

    started = time.perf_counter()
    graph = run_program(project, stack)
    planned = time.perf_counter() - started
    regions = provider_regions(stack.config)
    return check_graph(graph, stack.spec, policy, regions, as_of), planned


def load_graphs(path: Path) -> list[Graph]:
    """Graphs from ``inferplane plan --json`` output (one stack, or ``{"stacks": [...]}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigFileError(f"{path} is not valid JSON: {exc}") from exc
    try:
        if isinstance(data, dict) and "stacks" in data:
            return [Graph.from_dict(g) for g in data["stacks"]]
        return [Graph.from_dict(data)]
    except (KeyError, TypeError) as exc:
        raise ConfigFileError(f"{path} is not an `inferplane plan --json` graph: {exc}") from exc
