"""`inferplane preflight` through the real CLI against local endpoints: a moto server, and
an AWS that only answers 500s or throttles. Exit 0 or 1 with a table, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from inferplane.smoke.server import App, LoopbackServer, Reply
from tests.conftest import ROOT
from tests.router.fakes import free_port


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, so a traceback would show."""
    command = [sys.executable, "-c", "from inferplane.cli import main; main()", *args]
    return subprocess.run(
        command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=300
    )


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _failing(status: int, code: str) -> App:
    """An AWS query API that answers every call with the error ``code``."""
    body = (
        f"<Response><Errors><Error><Code>{code}</Code><Message>boom</Message>"
        f"</Error></Errors><RequestID>r</RequestID></Response>"
    ).encode()
    return lambda _call: Reply(status, "text/xml", body, {"x-amzn-ErrorType": code})


@pytest.fixture(params=[(500, "InternalError"), (400, "Throttling"), (503, "ServiceUnavailable")])
def failing_aws(request: pytest.FixtureRequest) -> Iterator[str]:
    with LoopbackServer(_failing(*request.param)) as server:
        yield server.url


def test_preflight_against_a_local_moto_server(moto_server: str) -> None:
    result = run_cli(["preflight", "--stack", "prod-us-east-1", "--endpoint-url", moto_server])
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    assert "Traceback" not in output
    assert "service-offered" in output
    assert "llama-fleet" in output


def test_an_aws_that_fails_gives_could_not_check_lines(failing_aws: str) -> None:
    result = run_cli(["preflight", "--stack", "prod-us-east-1", "--endpoint-url", failing_aws])
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    assert "Traceback" not in output
    assert "could-not-check" in output
    assert "retry later" in output
