"""The smoke run: a stack's RouterConfig with only its URLs/endpoints moved to loopback
fakes, the packaged router started on it, and a chat and a stream sent on every route for
every data class the route admits.

A probe passes when the router answered 200 with the answer of the target it names in
``x-inferplane-target``, on the route it was meant for, and that fake recorded the
request as accepted (wire protocol and auth). The run passes when every probe passed and
no fake received a data class its target is not allowed (residency)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from inferplane.errors import InferplaneError
from inferplane.router.auth import KeyRing, hash_key
from inferplane.router.chat import parse_chat_request
from inferplane.router.classify import Classifier
from inferplane.router.config import KeyConfig, RouterConfig, SecretRef
from inferplane.router.contract import CONFIG_ENV
from inferplane.router.decide import Decision, RouteTable
from inferplane.router.errors import RouterError
from inferplane.smoke.credentials import Book
from inferplane.smoke.issuers import Issuers
from inferplane.smoke.redis import LocalRedis
from inferplane.smoke.server import LoopbackServer
from inferplane.smoke.targets import AwsApis, Recorder, TargetFake, secret_id
from inferplane.smoke.tls import TestCa, make_ca

__all__ = ["Outcome", "Probe", "SmokeReport", "Stage", "probes", "run_smoke", "stage"]

AWS_BACKENDS = ("bedrock", "sagemaker")
"""Backends that reach their target through an AWS SDK endpoint, not a URL."""
AWS_ENDPOINT_ENV = (
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
)


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


def rebase(url: str, base: str) -> str:
    """``url`` with scheme and host:port of ``base``; path and query kept."""
    parts, new = urlsplit(url), urlsplit(base)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))


@dataclass
class Stage:
    """The fakes, issuers and secrets of one smoke run."""

    config: RouterConfig
    """The rewritten config the router runs with."""
    env: dict[str, str]
    book: Book
    recorder: Recorder
    issuers: Issuers
    problems: list[str]
    keys: dict[str, str] = field(default_factory=dict)
    """Client key id -> the secret the smoke gave it (see ``stage``)."""


@contextmanager
def stage(config: RouterConfig, *, rekey: bool = True) -> Iterator[Stage]:
    """Start a fake per URL target, one for the AWS APIs, the issuers and (when the state
    is Redis) a redis-server; provision every secret the config references.

    The stack's client keys are stored as hashes whose secrets nobody has, so with
    ``rekey`` each key keeps its id, data classes, routes, rate limit and team and gets a
    fresh secret (a new salt and hash): the only change besides URLs and endpoints."""
    book, recorder = Book(), Recorder()
    problems: list[str] = []
    issuers = Issuers(book)
    with ExitStack() as stack:
        issuer_server = stack.enter_context(LoopbackServer(issuers))
        aws_targets = {n: t for n, t in config.targets.items() if t.backend in AWS_BACKENDS}
        aws = AwsApis(book, aws_targets, recorder)
        aws_server = stack.enter_context(LoopbackServer(aws))
        aws.host_url = aws_server.url
        targets = dict(config.targets)
        env: dict[str, str] = {}
        test_ca: TestCa | None = None
        for name, target in config.targets.items():
            if target.backend in AWS_BACKENDS:
                continue
            fake = TargetFake(book, {name: target}, recorder)
            tls = None
            if target.auth.ca is not None:  # the site's own CA: serve TLS signed by it
                test_ca = test_ca or make_ca()
                tls = test_ca.server
                _provide(target.auth.ca, test_ca.ca_pem, env, book, problems)
            server = stack.enter_context(LoopbackServer(fake, tls))
            fake.host_url = server.url
            if target.url is None:
                problems.append(f"target {name!r} ({target.backend}) has no url to point at a fake")
                continue
            targets[name] = target.model_copy(update={"url": rebase(target.url, server.url)})
        for target in config.targets.values():
            if target.auth.secret is not None:
                value = secrets.token_urlsafe(24)
                book.api_keys[secret_id(target.auth.secret)] = value
                _provide(target.auth.secret, value, env, book, problems)
        if config.state.backend == "redis" and config.state.url is not None:
            redis = stack.enter_context(LocalRedis())
            _provide(config.state.url, redis.url, env, book, problems)
        key_id, key = book.aws_key()
        env.update(
            {
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": key.secret,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "127.0.0.1,localhost",
                **dict.fromkeys(AWS_ENDPOINT_ENV, aws_server.url),
                **issuers.env(issuer_server.url),
            }
        )
        keys: dict[str, str] = {}
        client_keys = list(config.keys)
        if rekey:
            for i, client in enumerate(client_keys):
                keys[client.id] = "smoke-key-" + secrets.token_urlsafe(24)
                salt = secrets.token_hex(8)
                hashed = {"salt": salt, "sha256": hash_key(keys[client.id], salt)}
                client_keys[i] = client.model_copy(update=hashed)
        moved = {"targets": targets, "keys": tuple(client_keys)}
        rewritten = RouterConfig.from_json(config.model_copy(update=moved).to_json())
        env[CONFIG_ENV] = rewritten.to_json()
        yield Stage(rewritten, env, book, recorder, issuers, problems, keys)


def _provide(
    ref: SecretRef, value: str, env: dict[str, str], book: Book, problems: list[str]
) -> None:
    text = json.dumps({ref.key: value}) if ref.key else value
    if ref.store == "env":
        env[ref.name] = text
    elif ref.store == "aws_secretsmanager":
        book.secrets[ref.name] = text
    else:
        problems.append(f"secret {secret_id(ref)}: the smoke has no fake {ref.store} yet")


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


def _send(router: PackagedRouter, probe: Probe, recorder: Recorder) -> Outcome:
    status, headers, body = router.request(
        "POST", "/v1/chat/completions", probe.headers, probe.body()
    )
    target = headers.get("x-inferplane-target")
    accepted = {
        (r.target, r.operation)
        for r in recorder.received
        if r.smoke_id == probe.smoke_id and r.refused is None
    }
    refused = [
        f"{r.target}: {r.refused}"
        for r in recorder.received
        if r.smoke_id == probe.smoke_id and r.refused is not None
    ]
    operation = "stream" if probe.stream else "chat"
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
