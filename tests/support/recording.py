"""Run any function that declares Pulumi resources under the plan recorder, and return the
Graph it registered: the same mock engine ``inferplane plan`` uses, without a program file.

    graph = record(lambda: MyComponent("x", MyArgs(...)))
    [bucket] = graph.by_type("aws:s3/bucket:Bucket")

Each call runs in a fresh ``contextvars`` context, so config and resources never leak
between tests. Exceptions raised by ``program`` propagate unchanged.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Mapping
from typing import Any

from inferplane.plan.graph import Graph, Resource

__all__ = ["component_outputs", "only", "record", "refusal"]


def record(
    program: Callable[[], object],
    *,
    config: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    project: str = "test",
    stack: str = "test",
) -> Graph:
    """The graph ``program`` registers; ``config`` holds Pulumi config (``ns:key``)."""
    graph = Graph(project=project, stack=stack)
    contextvars.Context().run(_run, program, dict(config or {}), region, graph)
    return graph


def _run(program: Callable[[], object], config: dict[str, Any], region: str, graph: Graph) -> None:
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from inferplane.plan.recorder import PlanMocks, RecordingMonitor

    mocks = PlanMocks(region)
    monitor = RecordingMonitor(mocks, graph)
    strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    pulumi.runtime.set_all_config(strings, [])
    pulumi.runtime.set_mocks(mocks, graph.project, graph.stack, preview=False, monitor=monitor)
    _sync_await(run_pulumi_func(program))


def only(graph: Graph, type_: str) -> Resource:
    """The single resource of ``type_``; fails naming the count otherwise."""
    found = graph.by_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return found[0]


def component_outputs(graph: Graph, type_: str) -> dict[str, Any]:
    """The outputs the single component of ``type_`` registered."""
    return only(graph, type_).outputs


def refusal(program: Callable[[], object]) -> tuple[ValueError, Graph]:
    """The ValueError ``program`` raises, and what it registered before raising (for
    argument checks: nothing)."""
    raised: list[ValueError] = []

    def guarded() -> None:
        try:
            program()
        except ValueError as error:
            raised.append(error)

    graph = record(guarded)
    assert raised, "expected a ValueError, none was raised"
    return raised[0], graph
