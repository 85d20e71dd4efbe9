"""Run any function that declares Pulumi resources under the plan recorder, and return the
Graph it registered: the same mock engine ``inferplane plan`` uses, without a program file.

    graph = record(lambda: MyComponent("x", MyArgs(...)))
    [bucket] = graph.by_type("aws:s3/bucket:Bucket")

Each call runs in a fresh ``contextvars`` context, so config and resources never leak
between tests. Exceptions raised by ``program`` propagate unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from inferplane.plan import runner
from inferplane.plan.graph import Graph, Resource

__all__ = ["component_outputs", "integral", "one", "only", "record", "refusal"]


def record(
    program: Callable[[], object],
    config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    *,
    region: str = "us-east-1",
    project: str = "inferplane",
    stack: str = "test",
) -> Graph:
    """The graph ``program`` registers; ``config`` holds Pulumi config (``ns:key``)."""
    return runner.record(program, Graph(project, stack), config, secret_keys, region)


def only(graph: Graph, type_: str) -> Resource:
    """The single resource of ``type_``; fails naming what was found otherwise."""
    found = graph.by_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
    return found[0]


one = only


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


def integral(value: Any) -> Any:
    """``value`` with whole floats as ints: numbers arrive as floats on the wire, and a
    manifest had ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value
