"""A ``lambda`` target is smoked through its REAL Converse handler (from the built converse
zip, with the handler and environment the deployment renders) behind the fake function
URL, with the handler's boto3 reaching a fake Bedrock that enforces what Bedrock does.
The config and the deployed function come from an offline plan of a shipped stack."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from inferplane.packaging.converse_zip import HANDLER, function_environment
from inferplane.plan import Graph, run_program
from inferplane.router.config import RouterConfig, TargetAuth, TargetConfig
from inferplane.routerconfig import endpoints_from_graph, stack_router_config
from inferplane.smoke import probes, run_smoke
from inferplane.smoke.converse_function import is_function_url, start_converse_function
from inferplane.smoke.credentials import Book
from inferplane.smoke.stage import stage
from inferplane.smoke.targets import Received, Recorder
from inferplane.spec import load_stack, provider_regions
from tests.smoke.inprocess import InProcessRouter

ROOT = Path(__file__).resolve().parents[2]
STACK = "prod-us-east-1"
TARGET = "summarize-fn"
SMOKE_ID = "smoke-0123456789ab"


@dataclass(frozen=True)
class Planned:
    graph: Graph
    config: RouterConfig


@pytest.fixture(scope="module")
def planned() -> Planned:
    stack_file = load_stack(ROOT, STACK)
    graph = run_program(ROOT, stack_file)
    endpoints = endpoints_from_graph(graph, stack_file.spec)
    config = stack_router_config(
        stack_file.spec, STACK, endpoints, provider_regions(stack_file.config)
    )
    return Planned(graph, config)


def test_the_smoke_runs_the_handler_and_environment_the_deployment_renders(
    planned: Planned,
) -> None:
    target = planned.config.targets[TARGET]
    assert target.backend == "lambda_url"
    assert is_function_url(target)
    assert {n for n, t in planned.config.targets.items() if is_function_url(t)} == {TARGET}
    [function] = [
        r
        for r in planned.graph.by_type("aws:lambda/function:Function")
        if r.name == f"{TARGET}-function"
    ]
    assert function.inputs["handler"] == HANDLER
    assert function.inputs["environment"]["variables"] == function_environment(target.model)


def test_a_lambda_target_is_smoked_through_its_real_handler_and_bedrock(
    planned: Planned,
) -> None:
    """Every probe that reached the function went on to Bedrock as Converse (chat) or
    ConverseStream (stream), each accepted: the router's request crossed the real handler."""
    with stage(planned.config) as staged, InProcessRouter(staged.env) as router:
        sent = [p for p in probes(staged.config, staged.keys) if p.route == "summarize"]
        for probe in sent:
            status, headers, body = router.request(
                "POST", "/v1/chat/completions", probe.headers, probe.body()
            )
            assert status == 200, body
            assert headers["x-inferplane-target"] == TARGET
            assert f"answer from {TARGET} ({probe.smoke_id})" in body
            assert body.rstrip().endswith("data: [DONE]") == probe.stream
        received = {
            (r.service, r.operation, r.smoke_id, r.refused)
            for r in staged.recorder.received
            if r.target == TARGET
        }
    assert {p.stream for p in sent} == {False, True}
    assert received == {
        (service, "stream" if p.stream else "chat", p.smoke_id, None)
        for p in sent
        for service in ("function_url", "bedrock")
    }


def test_the_whole_stack_passes_the_smoke_with_the_function(planned: Planned) -> None:
    report = run_smoke(STACK, planned.config, InProcessRouter)
    assert report.ok, [o.detail for o in report.outcomes if not o.ok]
    assert {o.target for o in report.outcomes} == set(planned.config.targets)
    assert {o.probe.stream for o in report.outcomes if o.target == TARGET} == {False, True}


def test_a_router_that_signs_for_another_service_fails_the_smoke(planned: Planned) -> None:
    """The function URL is AWS_IAM for service ``lambda``: a router signing for
    ``bedrock`` is refused there, and every probe that reached the function fails."""

    def signs_for_bedrock(config: RouterConfig) -> RouterConfig:
        targets = dict(config.targets)
        auth = TargetAuth(scheme="sigv4", service="bedrock")
        targets[TARGET] = targets[TARGET].model_copy(update={"auth": auth})
        return config.model_copy(update={"targets": targets})

    report = run_smoke(
        STACK, planned.config, lambda env: InProcessRouter(env, tamper=signs_for_bedrock)
    )
    assert not report.ok
    failed = [o for o in report.outcomes if not o.ok]
    assert {o.probe.route for o in failed} == {"summarize"}
    assert {o.probe.stream for o in failed} == {False, True}
    for outcome in failed:
        assert (
            f"refused by {TARGET}: signed for service 'bedrock', the target is 'lambda'"
            in outcome.detail
        )


# The function directly: what its URL and its Bedrock refuse.


@dataclass(frozen=True)
class Function:
    target: TargetConfig
    """Moved to the function URL's loopback address."""
    book: Book
    recorder: Recorder


@pytest.fixture
def function(planned: Planned, tmp_path: Path) -> Iterator[Function]:
    book, recorder = Book(), Recorder()
    target = planned.config.targets[TARGET]
    assert target.url is not None
    assert target.url.endswith("/v1")
    with ExitStack() as stack:
        base = start_converse_function(
            stack,
            TARGET,
            target,
            book=book,
            recorder=recorder,
            workdir=tmp_path,
        )
        yield Function(target.model_copy(update={"url": base + "/v1"}), book, recorder)


def _chat(stream: bool = False) -> bytes:
    message = {"role": "user", "content": f"summarize this ({SMOKE_ID})"}
    return json.dumps(
        {"model": "amazon.nova-lite-v1:0", "messages": [message], "stream": stream}
    ).encode()


def _send(
    url: str, body: bytes, credentials: Credentials | None, service: str = "lambda"
) -> tuple[int, bytes]:
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"content-type": "application/json"}
    )
    if credentials is not None:
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        url, data=body, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def _router_identity(book: Book) -> Credentials:
    key_id, key = book.aws_key()
    return Credentials(key_id, key.secret)


def test_a_signed_chat_and_stream_are_answered_by_the_handler_from_bedrock(
    function: Function,
) -> None:
    url = f"{function.target.url}/chat/completions"
    status, body = _send(url, _chat(), _router_identity(function.book))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == f"answer from {TARGET} ({SMOKE_ID})"
    assert answer["usage"] == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    status, body = _send(url, _chat(stream=True), _router_identity(function.book))
    assert status == 200, body
    events = [line.removeprefix("data: ") for line in body.decode().split("\n\n") if line]
    assert events[-1] == "[DONE]"
    deltas = [json.loads(e)["choices"][0]["delta"] for e in events[:-1]]
    assert "".join(d.get("content", "") for d in deltas) == f"answer from {TARGET} ({SMOKE_ID})"
    assert {(r.service, r.operation, r.refused) for r in function.recorder.received} == {
        ("function_url", "chat", None),
        ("bedrock", "chat", None),
        ("function_url", "stream", None),
        ("bedrock", "stream", None),
    }


@pytest.mark.parametrize(
    ("signer", "why"),
    [
        (None, "no SigV4 Authorization header"),
        ("bedrock", "signed for service 'bedrock', the target is 'lambda'"),
        ("stranger", "was not issued by the fake"),
    ],
)
def test_the_function_url_refuses_what_aws_iam_refuses(
    function: Function, signer: str | None, why: str
) -> None:
    credentials = _router_identity(function.book)
    if signer == "stranger":
        credentials = Credentials("AKIASTRANGER0000", "not-issued")
    service = "bedrock" if signer == "bedrock" else "lambda"
    status, body = _send(
        f"{function.target.url}/chat/completions",
        _chat(),
        None if signer is None else credentials,
        service,
    )
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    [received] = function.recorder.received  # Bedrock was never called
    assert received.service == "function_url"
    assert received.refused is not None
    assert why in received.refused


def test_the_handlers_own_errors_reach_the_caller(function: Function) -> None:
    status, body = _send(
        f"{function.target.url}/embeddings", _chat(), _router_identity(function.book)
    )
    assert status == 404
    assert json.loads(body)["error"]["message"] == "no route POST /v1/embeddings"
    [received] = function.recorder.received
    assert received == Received(
        TARGET,
        "chat",
        SMOKE_ID,
        'the function answered 404: {"error": {"message": "no route POST /v1/embeddings", '
        '"type": "not_found", "code": 404}}',
        "function_url",
    )
