"""Fakes of AWS Lambda running the router's unpacked deployment zip, each behaving like the
real thing where a test can tell the difference:

``WebAdapterRuntime``: the managed runtime with the Lambda Web Adapter layer. Given the
function's handler and environment as the component renders them, it executes the
layer's wrapper (``AWS_LAMBDA_EXEC_WRAPPER``: the layer's real ``bootstrap``, which runs
``$LAMBDA_TASK_ROOT/$_HANDLER``) with Lambda's variables, waits until
``AWS_LWA_READINESS_CHECK_PATH`` on ``AWS_LWA_PORT`` answers a healthy status, then
forwards each invocation as an HTTP request and, in ``response_stream`` mode, hands back
the body's bytes as they arrive (``buffered``: all at once, as the adapter does).

``BufferedRuntime``: the managed runtime invoking ``lambda_entry.handler`` behind a
BUFFERED function URL: the body exists only once the handler has returned.

Both run the zip's code with a clean interpreter (``python3 -S``: no site-packages, only
``$LAMBDA_TASK_ROOT``), as Lambda's ``/var/lang/bin/python3`` sees only ``/var/task``.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

from inferplane.smoke import lambda_adapter

__all__ = ["BufferedRuntime", "WebAdapterRuntime", "unpack"]

LAYER_BOOTSTRAP = '#!/bin/bash\n\nexec -- "${LAMBDA_TASK_ROOT}/${_HANDLER}"\n'
"""The layer's wrapper script, verbatim (awslabs/aws-lambda-web-adapter ``layer/bootstrap``)."""
LAYER_ROOT = "/opt"
"""Where Lambda mounts layers; the fake mounts them in a temporary directory instead."""


def unpack(archive: Path, task_root: Path) -> Path:
    """Extract like Lambda does: the zip's Unix modes are kept (``zipfile`` drops them)."""
    with zipfile.ZipFile(archive) as source:
        for info in source.infolist():
            path = Path(source.extract(info, task_root))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
    return task_root


def _clean_python(directory: Path) -> Path:
    """``python3`` on PATH: this interpreter without site-packages (``-S``)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "python3"
    # The interpreter the virtualenv was made from (CPython's sys._base_executable).
    base = str(vars(sys).get("_base_executable", sys.executable))
    shim.write_text(f'#!/bin/sh\nexec {base} -S "$@"\n')
    shim.chmod(0o755)
    return directory


def _lambda_environment(task_root: Path, handler: str, bin_dir: Path) -> dict[str, str]:
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LAMBDA_TASK_ROOT": str(task_root),
        "_HANDLER": handler,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LANG": "en_US.UTF-8",
    }


def _healthy(spec: str, status: int) -> bool:
    """``AWS_LWA_READINESS_CHECK_HEALTHY_STATUS``: ``200-399`` or ``200,201,301-399``."""
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


class WebAdapterRuntime:
    """``with WebAdapterRuntime(task_root, handler, env, workdir) as fn: fn.invoke(...)``"""

    def __init__(
        self,
        task_root: Path,
        handler: str,
        environment: Mapping[str, str],
        workdir: Path,
        *,
        ready_timeout_s: float = 60.0,
    ) -> None:
        self.environment = dict(environment)
        wrapper = self.environment["AWS_LAMBDA_EXEC_WRAPPER"]
        if not wrapper.startswith(LAYER_ROOT + "/"):
            raise AssertionError(f"the wrapper {wrapper!r} is not in a layer ({LAYER_ROOT})")
        self.port = int(self.environment.get("AWS_LWA_PORT", "8080"))
        self.mode = self.environment.get("AWS_LWA_INVOKE_MODE", "buffered").lower()
        self.readiness = self.environment.get("AWS_LWA_READINESS_CHECK_PATH", "/")
        self.healthy = self.environment.get("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS", "100-499")
        self.ready_timeout_s = ready_timeout_s
        layer = workdir / "opt"
        layer.mkdir(parents=True, exist_ok=True)
        self.wrapper = layer / wrapper.removeprefix(LAYER_ROOT + "/")
        self.wrapper.write_text(LAYER_BOOTSTRAP)
        self.wrapper.chmod(0o755)
        self.env = {
            **_lambda_environment(task_root, handler, _clean_python(workdir / "lang-bin")),
            **self.environment,
        }
        self.log = workdir / "function.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> WebAdapterRuntime:
        with self.log.open("wb") as log:
            # Lambda runs the wrapper with its own bootstrap as the argument.
            self.process = subprocess.Popen(
                [str(self.wrapper), "/var/runtime/bootstrap"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the function exited: {self.log.read_text()[-2000:]}")
            try:
                status, _, _ = self._request("GET", self.readiness, {}, b"", buffered=True)
                if _healthy(self.healthy, status):
                    return
            except OSError:
                pass
            time.sleep(0.01)
        raise AssertionError(f"not ready in {self.ready_timeout_s}s: {self.log.read_text()}")

    def invoke(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Iterator[bytes]:
        """The response body as the function URL client receives it."""
        _, _, chunks = self._request(
            method, path, headers, body, buffered=self.mode != "response_stream"
        )
        yield from chunks

    def _request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, buffered: bool
    ) -> tuple[int, dict[str, str], Iterator[bytes]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body, headers=dict(headers))
        response = connection.getresponse()
        if buffered:
            whole = response.read()
            connection.close()
            return response.status, dict(response.getheaders()), iter([whole])
        return response.status, dict(response.getheaders()), _relay(connection, response)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()  # the adapter's SIGTERM at shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _relay(
    connection: http.client.HTTPConnection, response: http.client.HTTPResponse
) -> Iterator[bytes]:
    try:
        while chunk := response.read1(65536):
            yield chunk
    finally:
        connection.close()


class BufferedRuntime:
    """The old path: ``lambda_entry.handler`` behind a BUFFERED function URL."""

    def __init__(self, task_root: Path, environment: Mapping[str, str], workdir: Path) -> None:
        bin_dir = _clean_python(workdir / "lang-bin")
        self.command = [str(bin_dir / "python3"), lambda_adapter.__file__, str(task_root)]
        self.env = {
            **_lambda_environment(task_root, "lambda_entry.handler", bin_dir),
            **environment,
        }
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> BufferedRuntime:
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the handler never closes its client session
            text=True,
        )
        return self

    def invoke(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Iterator[bytes]:
        assert self.process is not None
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        event = {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "",
            "headers": dict(headers),
            "requestContext": {"http": {"method": method, "path": path}},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        yield str(result["body"]).encode()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            assert self.process.stdout is not None
            self.process.stdin.close()
            self.process.wait(timeout=10)
            self.process.stdout.close()
