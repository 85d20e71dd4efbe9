"""The requests of a smoke run: on every route, for every data class it admits, a chat and
a stream, each carrying a unique smoke id the fakes record; targets a route only reaches
by name are pinned."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from inferplane.router.chat import parse_chat_request
from inferplane.router.classify import Classifier
from inferplane.router.config import KeyConfig, RouterConfig
from inferplane.router.decide import Decision, RouteTable
from inferplane.router.errors import RouterError

__all__ = ["PINNED", "TASKS", "Probe", "probes"]

TASKS = ("say hello", "prove it step by step")
"""Probe texts: a simple one, and one the router's tier estimate calls complex (so a
target only on a ``tier: complex`` route can be reached by name)."""


@dataclass(frozen=True)
class Probe:
    """One request of the smoke run."""

    route: str
    data_class: str
    stream: bool
    smoke_id: str
    model: str
    headers: dict[str, str]
    task: str = ""
    """Text after the id: a reasoning task makes the router's tier estimate ``complex``."""

    def body(self) -> bytes:
        return _probe_body(self.model, self.smoke_id, self.task, stream=self.stream)


def probes(config: RouterConfig, keys: Mapping[str, str] | None = None) -> list[Probe]:
    """A chat and a stream per route and data class the router's own tables serve, then
    per target and data class it may receive (the target named as the model, so every
    target is called, not only each route's first); each probe with its own id.

    ``keys`` (key id -> secret) are the clients when the router requires API keys: each
    probe goes with the first key the router lets send it there (its data classes and
    routes); a (route, data class) that no client may reach is not probed."""
    found = []
    ranked = sorted(config.data_classes, key=lambda c: (config.data_classes[c].rank, c))
    judge = _Judge(config, keys)
    for route in config.routes:
        for data_class in ranked:
            if route.match.data_class not in (None, data_class):
                continue
            model = route.match.alias or route.match.tier or "smoke"
            latency = route.match.latency_ms_max
            client = judge.client(data_class, model, latency, _on_route(route.name))
            if client is not None:
                found += _pair(route.name, data_class, model, latency, client)
    for name, target in config.targets.items():
        for data_class in ranked:
            if data_class not in target.allowed_data_classes:
                continue
            for task, latency in _variants(config, name):
                client = judge.client(data_class, name, latency, _only_to(name), task)
                if client is not None:
                    found += _pair(f"{PINNED}{name}", data_class, name, latency, client, task=task)
                    break
    return found


PINNED = "pin:"
"""Route label of a probe that names its target as the model (any route may serve it)."""


def _on_route(name: str) -> Callable[[Decision], bool]:
    return lambda decision: decision.route.name == name


def _only_to(target: str) -> Callable[[Decision], bool]:
    return lambda decision: decision.targets == (target,)


class _Judge:
    """Asks the router's own classifier and route table whether a probe would be served
    as wanted, and with which client's key."""

    def __init__(self, config: RouterConfig, keys: Mapping[str, str] | None) -> None:
        self.table = RouteTable(config)
        self.classifier = Classifier(config)
        self.clients: list[tuple[KeyConfig | None, str]] = [(None, "")]
        if config.auth_required:
            known = keys or {}
            self.clients = [(k, known[k.id]) for k in config.keys if k.id in known]

    def client(
        self,
        data_class: str,
        model: str,
        latency: int | None,
        wanted: Callable[[Decision], bool],
        task: str = TASKS[0],
    ) -> str | None:
        """The ``authorization`` header value ("" without keys), or None: not served."""
        headers = _headers(data_class, latency, None)
        chat = parse_chat_request(_probe_body(model, "smoke-000000000000", task, stream=False))
        for key, secret in self.clients:
            try:
                classified = self.classifier.classify(chat, key, headers)
                if classified.data_class == data_class and wanted(
                    self.table.decide(classified, key)
                ):
                    return f"Bearer {secret}" if key is not None else ""
            except RouterError:
                continue
        return None


def _headers(data_class: str, latency: int | None, authorization: str | None) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "x-inferplane-data-class": data_class,
        # Every probe must reach a target: no cache may answer it.
        "x-inferplane-cache": "off",
    }
    if latency is not None:
        headers["x-inferplane-latency-budget-ms"] = str(latency)
    if authorization:
        headers["authorization"] = authorization
    return headers


def _probe_body(model: str, smoke_id: str, task: str = TASKS[0], *, stream: bool) -> bytes:
    message = {"role": "user", "content": f"{smoke_id}: {task or TASKS[0]}"}
    return json.dumps({"model": model, "messages": [message], "stream": stream}).encode()


def _variants(config: RouterConfig, target: str) -> list[tuple[str, int | None]]:
    """(task, latency budget) to try so a pinned probe matches a route that holds the
    target: the router serves a pinned request only on a route it is part of."""
    budgets = {r.match.latency_ms_max for r in config.routes if target in r.targets}
    ordered: list[int | None] = [None, *sorted(b for b in budgets if b is not None)]
    return [(task, budget) for task in TASKS for budget in ordered]


def _pair(
    route: str,
    data_class: str,
    model: str,
    latency: int | None,
    client: str,
    *,
    task: str = TASKS[0],
) -> list[Probe]:
    headers = _headers(data_class, latency, client)
    return [
        Probe(route, data_class, stream, "smoke-" + secrets.token_hex(6), model, headers, task)
        for stream in (False, True)
    ]
