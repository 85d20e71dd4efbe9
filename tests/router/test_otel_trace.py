"""The router joins its client's W3C trace: the server span is a child of the incoming
``traceparent``, each upstream attempt (failed ones too) has a client span that is a child
of the server span, and that span's ``traceparent`` reaches the upstream; with telemetry
off no ``traceparent`` is sent. Real Gateway, real OpenAI-compatible upstreams on loopback,
spans as the in-process OTLP/gRPC collector received them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

import orjson
import pytest
from aiohttp import web

from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway, Request, Response
from inferplane.router.otel_context import Parent, parse
from tests.router.configs import auth, chat, config, target
from tests.router.fakes import FakeOpenAI, LoopThread
from tests.support.otlp_collector import SPAN_KIND_CLIENT as CLIENT
from tests.support.otlp_collector import SPAN_KIND_SERVER as SERVER
from tests.support.otlp_collector import OtlpCollector, attributes

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
STATUS_ERROR = 2


@pytest.fixture(autouse=True)
def _no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def collector() -> Iterator[OtlpCollector]:
    with OtlpCollector() as running:
        yield running


class Upstream:
    """A FakeOpenAI that keeps the trace headers of every request it received."""

    def __init__(self, loop: LoopThread, name: str, mode: str = "ok") -> None:
        self.fake = FakeOpenAI(name)
        self.fake.mode = mode
        self.fake.status = 500
        self.seen: list[tuple[str | None, str | None]] = []

        @web.middleware
        async def keep(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            self.seen.append(
                (request.headers.get("traceparent"), request.headers.get("tracestate"))
            )
            return await handler(request)

        self.fake.app.middlewares.append(keep)
        self.url = loop.serve(self.fake.app).url


def two_targets(
    first: Upstream, second: Upstream, first_timeouts: dict[str, float] | None = None
) -> RouterConfig:
    slow = {"timeouts": first_timeouts} if first_timeouts else {}
    targets = {
        "first": target(first.url, ("public",), max_retries=0, **slow),
        "second": target(second.url, ("public",), max_retries=0),
    }
    return config(targets, [{"name": "default", "targets": ["first", "second"]}])


def traced(cfg: RouterConfig, collector: OtlpCollector) -> RouterConfig:
    return RouterConfig.model_validate(
        {**cfg.model_dump(), "telemetry": {"otlp_endpoint": collector.endpoint}}
    )


def handle(loop: LoopThread, cfg: RouterConfig, *requests: Request) -> list[Response]:
    """Each request through one Gateway, streams read to the end; the Gateway's close
    flushes its spans to the collector."""

    async def run() -> list[Response]:
        gateway = Gateway(cfg)
        await gateway.start()
        answered = []
        try:
            for request in requests:
                response = await gateway.handle(request)
                if response.stream is not None:
                    response.body = b"".join([block async for block in response.stream])
                answered.append(response)
        finally:
            await gateway.close()
        return answered

    return loop.run(run())


def post(
    headers: dict[str, str], *, stream: bool = False, path: str = "/v1/chat/completions"
) -> Request:
    body = orjson.dumps(chat(stream=stream))
    return Request("POST", path, {"content-type": "application/json", **headers}, body)


def parent_header(flags: str = "01") -> dict[str, str]:
    return {"traceparent": f"00-{TRACE}-{PARENT}-{flags}", "tracestate": "vendor=abc,other=1"}


def hex_id(raw: bytes) -> str:
    return raw.hex()


@pytest.mark.parametrize("stream", [False, True])
def test_server_span_joins_the_client_trace_and_each_attempt_has_a_client_span(
    loop: LoopThread, collector: OtlpCollector, stream: bool
) -> None:
    failing, answering = Upstream(loop, "first", mode="status"), Upstream(loop, "second")
    cfg = traced(two_targets(failing, answering), collector)

    [response] = handle(loop, cfg, post({**auth(), **parent_header()}, stream=stream))

    assert response.status == 200, response.body
    spans = collector.spans()
    [server] = [s for s in spans if s.kind == SERVER]
    clients = {attributes(s.attributes)["inferplane.target"]: s for s in spans if s.kind == CLIENT}
    assert len(spans) == 3
    assert set(clients) == {"first", "second"}
    assert (hex_id(server.trace_id), hex_id(server.parent_span_id)) == (TRACE, PARENT)
    assert server.name == "POST /v1/chat/completions"
    assert attributes(server.attributes) == {
        "http.request.method": "POST",
        "http.route": "/v1/chat/completions",
        "url.path": "/v1/chat/completions",
        "http.response.status_code": 200,
        "inferplane.request_id": response.headers["x-request-id"],
        "inferplane.route": "default",
        "inferplane.target": "second",
        "inferplane.cached": False,
    }
    for client in clients.values():
        assert hex_id(client.trace_id) == TRACE
        assert client.parent_span_id == server.span_id
        assert server.start_time_unix_nano <= client.start_time_unix_nano
        assert client.end_time_unix_nano <= server.end_time_unix_nano
    failed, ok = clients["first"], clients["second"]
    assert attributes(failed.attributes)["error.type"] == "upstream_status"
    assert (failed.status.code, failed.status.message) == (STATUS_ERROR, "upstream_status")
    assert "error.type" not in attributes(ok.attributes)
    assert attributes(ok.attributes)["gen_ai.usage.output_tokens"] > 0
    assert failed.end_time_unix_nano <= ok.start_time_unix_nano
    # Each upstream saw the traceparent of its own attempt's span, and the client's tracestate.
    state = "vendor=abc,other=1"
    assert failing.seen == [(f"00-{TRACE}-{hex_id(failed.span_id)}-01", state)]
    assert answering.seen == [(f"00-{TRACE}-{hex_id(ok.span_id)}-01", state)]


def test_an_unsampled_client_trace_is_propagated_and_not_exported(
    loop: LoopThread, collector: OtlpCollector
) -> None:
    up = Upstream(loop, "first")
    cfg = traced(two_targets(up, Upstream(loop, "second")), collector)

    [response] = handle(loop, cfg, post({**auth(), **parent_header(flags="00")}))

    assert response.status == 200
    assert collector.spans() == []
    [(sent, state)] = up.seen
    assert sent is not None
    assert state == "vendor=abc,other=1"
    version, trace, span, flags = sent.split("-")
    assert (version, trace, flags) == ("00", TRACE, "00")
    assert span not in (PARENT, "0" * 16)


def test_without_a_valid_traceparent_the_router_starts_its_own_trace(
    loop: LoopThread, collector: OtlpCollector
) -> None:
    up = Upstream(loop, "first")
    cfg = traced(two_targets(up, Upstream(loop, "second")), collector)
    upper = {"traceparent": f"00-{TRACE.upper()}-{PARENT}-01", "tracestate": "vendor=abc"}

    handle(loop, cfg, post({**auth(), **upper}))

    [server] = [s for s in collector.spans() if s.kind == SERVER]
    [client] = [s for s in collector.spans() if s.kind == CLIENT]
    assert server.parent_span_id == b""
    assert hex_id(server.trace_id) != TRACE.lower()
    assert client.trace_id == server.trace_id
    assert client.parent_span_id == server.span_id
    # The client's tracestate goes only with its (valid) traceparent.
    assert up.seen == [(f"00-{hex_id(server.trace_id)}-{hex_id(client.span_id)}-01", None)]


def test_refused_requests_end_their_server_span_with_the_reason(
    loop: LoopThread, collector: OtlpCollector
) -> None:
    first, second = Upstream(loop, "first", "status"), Upstream(loop, "second", "status")
    cfg = traced(two_targets(first, second), collector)

    responses = handle(
        loop,
        cfg,
        post(parent_header()),  # no API key
        post({**auth(), **parent_header()}),  # every target fails
        Request("GET", "/healthz", parent_header()),  # probes are not traced
        post({**auth(), **parent_header()}, path="/v1/nothing"),
    )

    assert [r.status for r in responses] == [401, 503, 200, 404]
    servers = [s for s in collector.spans() if s.kind == SERVER]
    clients = [s for s in collector.spans() if s.kind == CLIENT]
    found = {
        attributes(s.attributes)["inferplane.request_id"]: (s.name, attributes(s.attributes))
        for s in servers
    }
    ids = [r.headers["x-request-id"] for r in responses]
    common = {"http.request.method": "POST", "inferplane.route": "-"}
    chat_path = {"http.route": "/v1/chat/completions", "url.path": "/v1/chat/completions"}
    assert found == {
        ids[0]: (
            "POST /v1/chat/completions",
            {**common, **chat_path, "http.response.status_code": 401,
             "inferplane.request_id": ids[0], "inferplane.reason": "invalid_api_key"},
        ),
        ids[1]: (
            "POST /v1/chat/completions",
            {**common, **chat_path, "http.response.status_code": 503,
             "inferplane.request_id": ids[1], "inferplane.route": "default",
             "inferplane.reason": "all_targets_failed", "error.type": "all_targets_failed"},
        ),
        ids[3]: (
            "POST",  # an unknown path never names a span
            {**common, "url.path": "/v1/nothing", "http.response.status_code": 404,
             "inferplane.request_id": ids[3], "inferplane.reason": "not_found"},
        ),
    }  # fmt: skip
    assert {hex_id(s.parent_span_id) for s in servers} == {PARENT}
    [failing] = [s for s in servers if s.status.code == STATUS_ERROR]
    assert {attributes(c.attributes)["inferplane.target"] for c in clients} == {"first", "second"}
    assert {c.parent_span_id for c in clients} == {failing.span_id}
    assert {attributes(c.attributes)["error.type"] for c in clients} == {"upstream_status"}


def test_off_sends_no_traceparent_upstream(loop: LoopThread) -> None:
    up = Upstream(loop, "first")

    [response] = handle(
        loop, two_targets(up, Upstream(loop, "second")), post({**auth(), **parent_header()})
    )

    assert response.status == 200
    assert up.seen == [(None, None)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{TRACE}-{PARENT}-01", Parent(int(TRACE, 16), int(PARENT, 16), True, None)),
        (f"00-{TRACE}-{PARENT}-00", Parent(int(TRACE, 16), int(PARENT, 16), False, None)),
        # A later version may append fields; the router reads the version-00 part.
        (f"cc-{TRACE}-{PARENT}-09-extra", Parent(int(TRACE, 16), int(PARENT, 16), True, None)),
        (f"00-{TRACE}-{PARENT}-01-extra", None),  # version 00 has exactly four fields
        (f"ff-{TRACE}-{PARENT}-01", None),  # version ff is invalid
        (f"00-{TRACE.upper()}-{PARENT}-01", None),  # upper-case hex is invalid
        (f"00-{'0' * 32}-{PARENT}-01", None),  # all-zero trace ID
        (f"00-{TRACE}-{'0' * 16}-01", None),  # all-zero parent ID
        (f"00-{TRACE}-{PARENT}-0x", None),
        (f"00_{TRACE}-{PARENT}-01", None),
        (f"00-{TRACE[:-1]}-{PARENT}-01", None),
        ("", None),
    ],
)
def test_traceparent_parsing(header: str, expected: Parent | None) -> None:
    assert parse({"traceparent": header}) == expected


@pytest.mark.parametrize(
    ("state", "kept"),
    [("a=1,b=2", "a=1,b=2"), ("a=1\r\nx-evil: 1", None), ("a=" + "x" * 600, None), ("", None)],
)
def test_tracestate_is_passed_on_only_when_it_is_safe(state: str, kept: str | None) -> None:
    found = parse({"traceparent": f"00-{TRACE}-{PARENT}-01", "tracestate": state})
    assert found is not None
    assert found.tracestate == kept


def test_an_attempt_the_upstream_refuses_has_its_span_too(
    loop: LoopThread, collector: OtlpCollector
) -> None:
    refusing, answering = Upstream(loop, "first", "status"), Upstream(loop, "second")
    refusing.fake.status = 401  # the router's own credentials: another target may answer
    cfg = traced(two_targets(refusing, answering), collector)

    [response] = handle(loop, cfg, post({**auth(), **parent_header()}))

    assert response.status == 200
    clients = {
        attributes(s.attributes)["inferplane.target"]: s
        for s in collector.spans()
        if s.kind == CLIENT
    }
    assert attributes(clients["first"].attributes)["error.type"] == "upstream_status"
    assert "error.type" not in attributes(clients["second"].attributes)
    [(sent, _)] = refusing.seen
    assert sent == f"00-{TRACE}-{hex_id(clients['first'].span_id)}-01"


def test_a_client_that_goes_away_ends_both_spans(
    loop: LoopThread, collector: OtlpCollector
) -> None:
    hanging = Upstream(loop, "first", "hang")
    # Long timeouts: the router must still be waiting when the client goes away.
    patient = {"connect": 10.0, "first_byte": 10.0, "total": 10.0}
    cfg = traced(two_targets(hanging, Upstream(loop, "second"), patient), collector)

    async def run() -> None:
        gateway = Gateway(cfg)
        await gateway.start()
        request = asyncio.create_task(gateway.handle(post({**auth(), **parent_header()})))
        while not hanging.seen:  # the attempt reached the upstream
            await asyncio.sleep(0.01)
        request.cancel()  # what aiohttp does when the client disconnects
        with contextlib.suppress(asyncio.CancelledError):
            await request
        hanging.fake.release.set()
        await gateway.close()

    loop.run(run())

    [server] = [s for s in collector.spans() if s.kind == SERVER]
    [client] = [s for s in collector.spans() if s.kind == CLIENT]
    assert attributes(client.attributes)["error.type"] == "cancelled"
    assert client.parent_span_id == server.span_id
    found = attributes(server.attributes)
    assert (found["http.response.status_code"], found["error.type"]) == (499, "cancelled")
    assert found["inferplane.reason"] == "client_closed"
