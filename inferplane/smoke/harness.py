"""The smoke run: a stack's RouterConfig with only its URLs/endpoints moved to loopback
fakes, the packaged router started on it, and a chat and a stream sent on every route for
every data class the route admits.

A probe passes when the router answered 200 with the answer of the target it names in
``x-inferplane-target``, on the route it was meant for, and that fake recorded the
request as accepted (wire protocol and auth). The run passes when every probe passed and
no fake received a data class its target is not allowed (residency)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from inferplane.errors import InferplaneError
from inferplane.router.auth import KeyRing
from inferplane.router.config import RouterConfig
from inferplane.router.errors import RouterError
from inferplane.smoke.probes import PINNED, Probe, probes
from inferplane.smoke.stage import Stage, stage
from inferplane.smoke.targets import Recorder

__all__ = ["Outcome", "Probe", "SmokeReport", "Stage", "probes", "run_smoke", "stage"]


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    status: int
    target: str | None
    """The target that answered (``x-inferplane-target``)."""
    ok: bool
    detail: str


@dataclass(frozen=True)
class SmokeReport:
    stack: str
    outcomes: tuple[Outcome, ...]
    leaks: tuple[str, ...]
    """Requests that reached a target outside its allowed data classes."""
    issuer_refusals: tuple[str, ...]
    seconds: float
    cost_usd: dict[str, float] = field(default_factory=dict)
    """Cost per target the router logged for the run (its access log's ``cost_usd``)."""
    problems: tuple[str, ...] = ()
    """What the stage could not provide (a secret store without a fake, ...)."""

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.ok for o in self.outcomes) and not self.leaks


class PackagedRouter(Protocol):
    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], str]: ...

    def stderr_tail(self, lines: int = 20) -> str: ...


RouterFactory = Callable[[dict[str, str]], AbstractContextManager[PackagedRouter]]


def run_smoke(
    stack_name: str,
    config: RouterConfig,
    start_router: RouterFactory,
    api_key: str | None = None,
) -> SmokeReport:
    """Run every probe against the packaged router that ``start_router(env)`` starts."""
    started = time.perf_counter()
    with stage(config, rekey=api_key is None) as staged, start_router(staged.env) as router:
        planned = probes(config, staged.keys if api_key is None else _key_of(config, api_key))
        outcomes = [_send(router, probe, staged.recorder) for probe in planned]
        # /metrics is for operators (admin.keys), which the smoke does not add: the cost
        # comes from the access log, the same number per request.
        log = router.stderr_tail(100_000)
        if not all(o.ok for o in outcomes):
            tail = router.stderr_tail(5)
            # Tracebacks and errors; the JSON lines are the access log.
            staged.problems.extend(
                f"router: {line}" for line in tail.splitlines() if line and line[0] != "{"
            )
    by_id = {p.smoke_id: p for p in planned}
    leaks = tuple(
        f"{r.target} received {by_id[r.smoke_id].data_class!r} (route {by_id[r.smoke_id].route}); "
        f"it may receive {', '.join(config.targets[r.target].allowed_data_classes)}"
        for r in staged.recorder.received
        if r.target is not None
        and r.smoke_id in by_id
        and by_id[r.smoke_id].data_class not in config.targets[r.target].allowed_data_classes
    )
    return SmokeReport(
        stack_name,
        tuple(outcomes),
        leaks,
        tuple(staged.issuers.refused),
        time.perf_counter() - started,
        _costs(log),
        tuple(staged.problems),
    )


def _key_of(config: RouterConfig, api_key: str) -> dict[str, str]:
    try:
        key = KeyRing(config.keys).authenticate(f"Bearer {api_key}")
    except RouterError:
        ids = ", ".join(k.id for k in config.keys) or "none"
        raise InferplaneError(f"--api-key matches none of the stack's keys ({ids})") from None
    return {key.id: api_key}


def _received(recorder: Recorder, probe: Probe) -> tuple[set[tuple[str | None, str]], list[str]]:
    """What the fakes accepted for ``probe`` (target, operation), and why any refused it."""
    mine = [r for r in recorder.received if r.smoke_id == probe.smoke_id]
    accepted = {(r.target, r.operation) for r in mine if r.refused is None}
    return accepted, [f"{r.target}: {r.refused}" for r in mine if r.refused is not None]


def _answer_problems(probe: Probe, status: int, headers: dict[str, str], body: str) -> list[str]:
    """What is wrong with the router's answer itself."""
    target = headers.get("x-inferplane-target")
    problems = []
    if status != 200:
        problems.append(f"HTTP {status}: {_error_message(body)}")
    elif target is None or f"answer from {target} ({probe.smoke_id})" not in body:
        problems.append("the answer is not the named target's")
    if probe.route.startswith(PINNED) and target not in (None, probe.model):
        problems.append(f"pinned to {probe.model}, answered by {target}")
    elif (
        not probe.route.startswith(PINNED)
        and status == 200
        and headers.get("x-inferplane-route") != probe.route
    ):
        problems.append(f"served by route {headers.get('x-inferplane-route')!r}")
    if status == 200 and probe.stream and not body.rstrip().endswith("data: [DONE]"):
        problems.append("the stream did not end with [DONE]")
    return problems


def _send(router: PackagedRouter, probe: Probe, recorder: Recorder) -> Outcome:
    status, headers, body = router.request(
        "POST", "/v1/chat/completions", probe.headers, probe.body()
    )
    target = headers.get("x-inferplane-target")
    accepted, refused = _received(recorder, probe)
    operation = "stream" if probe.stream else "chat"
    problems = _answer_problems(probe, status, headers, body)
    if status == 200 and (target, operation) not in accepted:
        problems.append(f"no fake accepted a {operation} for {target}")
    problems.extend(f"refused by {reason}" for reason in refused)
    return Outcome(probe, status, target, not problems, "; ".join(problems) or "ok")


def _error_message(body: str) -> str:
    try:
        return str(json.loads(body)["error"]["message"])[:300]
    except (ValueError, KeyError, TypeError):
        return body[:300]


def _costs(access_log: str) -> dict[str, float]:
    """``cost_usd`` per target, summed over the router's access-log lines."""
    costs: dict[str, float] = {}
    for line in access_log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("target"), str):
            cost = float(entry.get("cost_usd") or 0.0)
            costs[entry["target"]] = costs.get(entry["target"], 0.0) + cost
    return costs
