"""Run the real, unmodified Pulumi program (``__main__.py``) offline under Pulumi's mock
runtime, with one stack's config, and return the resource graph it registered.

This is an offline synthesis: no provider checks inputs, nothing is compared with real
state, and computed outputs (ARNs, URLs) are stand-ins. Each run happens in a fresh
``contextvars`` context, so runs do not leak config or resources into each other.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import datetime as dt
import json
import runpy
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from inferplane.errors import InferplaneError, PlanError
from inferplane.plan.graph import Graph
from inferplane.spec import StackFile, project_name, provider_regions

__all__ = ["record", "run_program"]

DEFAULT_REGION = "us-east-1"


def run_program(project_dir: Path, stack: StackFile, project: str | None = None) -> Graph:
    """The graph ``project_dir/__main__.py`` registers with ``stack``'s config. URNs carry
    ``project`` (default: the name in ``project_dir``'s Pulumi.yaml, as ``pulumi up`` would)."""
    stack.spec_or_none  # validate first: an invalid spec must not create anything  # noqa: B018
    program = project_dir / "__main__.py"
    if not program.is_file():
        raise PlanError(f"no Pulumi program at {program}")
    graph = Graph(project=project or project_name(project_dir), stack=stack.name)
    region = provider_regions(stack.config).get("aws", DEFAULT_REGION)
    root = str(project_dir)
    added = root not in sys.path
    if added:  # the program imports the project's packages, as `pulumi up` would allow
        sys.path.insert(0, root)
    try:
        config, secret_keys = stack.config, stack.secret_keys
        record(lambda: _exec(program), graph, config, secret_keys, region, as_of=stack.as_of)
    except InferplaneError:
        raise
    except Exception as exc:
        raise PlanError(f"the program failed under the mock runtime: {exc}") from exc
    finally:
        if added:
            sys.path.remove(root)
    return graph


def record(
    program: Callable[[], object],
    graph: Graph,
    config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    region: str = DEFAULT_REGION,
    *,
    as_of: dt.date | None = None,
) -> Graph:
    """Run ``program`` (any function that declares resources) under the recording mock
    engine in a fresh context; fill and return ``graph``. Exceptions propagate as raised.
    ``as_of`` pins the date the program's own spec checks use (default: today)."""
    strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
    contextvars.Context().run(
        _session, program, graph, strings, sorted(secret_keys), region, as_of=as_of
    )
    return graph


def _session(
    program: Callable[[], object],
    graph: Graph,
    config: dict[str, str],
    secret_keys: list[str],
    region: str,
    *,
    as_of: dt.date | None,
) -> None:
    import pulumi
    import pulumi.runtime.resource as sdk_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from inferplane.plan.recorder import PlanMocks, RecordingMonitor
    from inferplane.spec.asof import AS_OF

    AS_OF.set(as_of)  # this context is the program's: its parse_spec sees the pinned date
    _session_loop()
    mocks = PlanMocks(region)
    pulumi.runtime.set_all_config(config, secret_keys)
    # preview=False: computed outputs are known, so programs that render config from
    # outputs (the router's routing table) finish and their result is in the graph.
    pulumi.runtime.set_mocks(
        mocks, graph.project, graph.stack, preview=False, monitor=RecordingMonitor(mocks, graph)
    )
    saved_trace, sdk_resource._get_stack_trace = sdk_resource._get_stack_trace, _no_stack_trace
    try:
        _sync_await(run_pulumi_func(lambda: _discard(program)))
        graph.stack_outputs = _sync_await(_stack_outputs())
    finally:
        sdk_resource._get_stack_trace = saved_trace


class _SessionLoops(threading.local):
    """The loops plan sessions ran on, per thread, held until exit. The SDK keeps state on
    the loop between sessions (and an ``Output`` made before a session is bound to the loop
    current then), so a session runs on the thread's current loop when it has an open one.
    Held here, a loop is never dropped unclosed when an ``asyncio.run`` on the thread
    replaces it (its ResourceWarnings then surfaced at a garbage collection in whatever
    ran next); each is closed at exit."""

    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []

    def hold(self, loop: asyncio.AbstractEventLoop) -> None:
        if all(loop is not held for held in self.loops):
            self.loops.append(loop)
            atexit.register(_close_quietly, loop)


_LOOPS = _SessionLoops()


def _close_quietly(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(RuntimeError):  # still running in another thread at exit
        loop.close()


def _session_loop() -> None:
    """Make an open loop current for the SDK's ``_sync_await`` (it runs on the current
    loop): the thread's own if it has one, read without ``get_event_loop()`` (which would
    make one that nothing holds), else the last one held here, else a new one."""
    policy = asyncio.get_event_loop_policy()
    current = getattr(getattr(policy, "_local", None), "_loop", None)
    if current is None or current.is_closed():
        open_ = [loop for loop in _LOOPS.loops if not loop.is_closed()]
        current = open_[-1] if open_ else policy.new_event_loop()
        policy.set_event_loop(current)
    _LOOPS.hold(current)


async def _stack_outputs() -> dict[str, Any]:
    """``pulumi.export`` values: the mock runtime never sends them, so read the root stack."""
    from pulumi.runtime.rpc import serialize_properties
    from pulumi.runtime.settings import get_root_resource

    from inferplane.plan.wire import plain

    root = get_root_resource()
    outputs = getattr(root, "outputs", None) or {}
    return plain(await serialize_properties(outputs, {}))


def _discard(program: Callable[[], object]) -> None:
    program()  # run_pulumi_func awaits a returned awaitable; programs return nothing to wait on


def _exec(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")


def _no_stack_trace() -> Any:
    """Source positions are for the Pulumi service's UI; an offline plan skips them."""
    from pulumi.runtime.proto import source_pb2

    return source_pb2.StackTrace()
