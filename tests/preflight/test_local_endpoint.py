"""`inferplane preflight` through the real CLI against local endpoints: a moto server, and
an AWS that only answers 500s or throttles. Exit 0 or 1 with a table, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

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


class _Failing(BaseHTTPRequestHandler):
    status = 500
    code = "InternalError"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = (
            f"<Response><Errors><Error><Code>{self.code}</Code><Message>boom</Message>"
            f"</Error></Errors><RequestID>r</RequestID></Response>"
        ).encode()
        self.send_response(self.status)
        self.send_header("content-type", "text/xml")
        self.send_header("x-amzn-ErrorType", self.code)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=[(500, "InternalError"), (400, "Throttling"), (503, "ServiceUnavailable")])
def failing_aws(request: pytest.FixtureRequest) -> Iterator[str]:
    status, code = request.param
    handler = type("Handler", (_Failing,), {"status": status, "code": code})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
