"""Run any function as a Pulumi program under the plan's recording mock runtime and get
the resource graph back: ``record(lambda: MyComponent(...), config={...})``.

Each call runs in a fresh ``contextvars`` context (like ``inferplane plan``), so config,
mocks and resources never leak between tests. ``preview=False``: outputs are known."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from inferplane.plan.graph import Graph, Resource

__all__ = ["one", "record"]


def record(
    program: Callable[[], Any],
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    region: str = "us-east-1",
) -> Graph:
    """The graph ``program`` registers; ``config`` maps ``ns:key`` to string values."""
    graph = Graph(project="inferplane", stack="test")
    contextvars.Context().run(_run, program, dict(config or {}), sorted(secret_keys), region, graph)
    return graph


def _run(
    program: Callable[[], Any],
    config: dict[str, str],
    secret_keys: list[str],
    region: str,
    graph: Graph,
) -> None:
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from inferplane.plan.recorder import PlanMocks, RecordingMonitor

    mocks = PlanMocks(region)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(
        mocks, graph.project, graph.stack, preview=False, monitor=RecordingMonitor(mocks, graph)
    )
    _sync_await(run_pulumi_func(program))


def one(graph: Graph, type_: str) -> Resource:
    """The single resource of ``type_``; fails the test when there are none or several."""
    found = graph.by_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
    return found[0]
