"""The router's /healthz and a real chat request, against a fake router on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from inferplane.verify import RouterAccess, StackOutputs, run_verify
from inferplane.verify.checks import router_chat, router_health
from tests.verify.conftest import REGION
from tests.verify.fake_router import FakeRouter


def _verify(spec: Any, url: str | None, access: RouterAccess | None = None) -> Any:
    # No AWS subjects are checked here: the outputs name no endpoints or functions.
    return run_verify(spec, "t", StackOutputs(router_url=url), {"aws": REGION}, router=access)


def test_healthy_router_answers_a_chat(spec: Any, router: FakeRouter) -> None:
    report = _verify(spec, router.url + "/", RouterAccess(api_key="sk-test"))
    (health,) = report.of(router_health.NAME)
    (chat,) = report.of(router_chat.NAME)
    assert health.status == "pass"
    assert chat.status == "pass"
    assert chat.reason == "model claude answered 'ready'"
    method, path, headers, body = router.received[-1]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert headers["authorization"] == "Bearer sk-test"
    request = json.loads(body)
    assert request["model"] == "claude"  # the catch-all route's first target
    assert request["messages"][0]["content"] == router_chat.PROMPT


def test_unhealthy_router_fails(spec: Any, router: FakeRouter) -> None:
    router.health_status = 503
    (health,) = _verify(spec, router.url).of(router_health.NAME)
    assert health.status == "fail"
    assert "503" in health.reason


@pytest.mark.parametrize(
    ("status", "answer", "reason"),
    [(500, "x", "500"), (200, None, "200 but no answer text"), (200, "   ", "no answer text")],
)
def test_chat_failures(
    spec: Any, router: FakeRouter, status: int, answer: str | None, reason: str
) -> None:
    router.chat_status, router.answer = status, answer
    (chat,) = _verify(spec, router.url).of(router_chat.NAME)
    assert chat.status == "fail"
    assert reason in chat.reason


def test_unreachable_router_fails(spec: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        report = _verify(spec, f"http://127.0.0.1:{port}")
    assert [r.status for r in report.of(router_health.NAME)] == ["fail"]
    assert "ConnectError" in report.of(router_chat.NAME)[0].reason


def test_no_router_url_could_not_check(spec: Any) -> None:
    report = _verify(spec, None)
    assert {r.status for r in report.results if r.subject == "router"} >= {"could-not-check"}


def test_chosen_model_is_sent(spec: Any, router: FakeRouter) -> None:
    _verify(spec, router.url, RouterAccess(model="mistral-sm"))
    assert json.loads(router.received[-1][3])["model"] == "mistral-sm"


def test_sigv4_signed_requests_carry_the_key_in_api_key(
    spec: Any, router: FakeRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    report = _verify(spec, router.url, RouterAccess(api_key="sk-test", sign_region=REGION))
    assert report.ok
    _, _, headers, _ = router.received[-1]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert f"/{REGION}/lambda/aws4_request" in headers["authorization"]
    assert headers["api-key"] == "sk-test"
    assert "x-amz-date" in headers


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://router.example.com", True),
        ("http://10.0.0.5:8088", True),
        ("https://router.example.com", False),
        ("http://127.0.0.1:8088", False),
        ("http://localhost:8088", False),
    ],
)
def test_the_api_key_never_travels_over_plain_http(spec: Any, url: str, refused: bool) -> None:
    """No request is even attempted to a plain-HTTP, non-loopback router when a key is set
    (issue 19: verify sent the bearer key to http:// URLs)."""
    from inferplane.verify.http import plain_http_refusal

    reason = plain_http_refusal(url, RouterAccess(api_key="sk-test"))
    assert (reason is not None) == refused
    assert plain_http_refusal(url, RouterAccess()) is None  # no key, nothing to leak
    if refused:
        (health,) = _verify(spec, url, RouterAccess(api_key="sk-test")).of(router_health.NAME)
        assert health.status == "fail"
        assert "over plain HTTP" in health.reason
