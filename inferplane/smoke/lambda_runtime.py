"""A fake of AWS Lambda running the router's unpacked deployment zip as it is deployed,
behaving like the real thing where a test or ``inferplane router smoke`` can tell the
difference.

``WebAdapterRuntime``: the managed runtime with the Lambda Web Adapter layer. Given the
function's handler and environment as the component renders them, it executes the
layer's wrapper (``AWS_LAMBDA_EXEC_WRAPPER``: the layer's real ``bootstrap``, which runs
``$LAMBDA_TASK_ROOT/$_HANDLER``) with Lambda's variables, waits until
``AWS_LWA_READINESS_CHECK_PATH`` on ``AWS_LWA_PORT`` answers a healthy status, then
forwards each invocation as an HTTP request and, in ``response_stream`` mode, hands back
the body's bytes as they arrive (``buffered``: all at once, as the adapter does). A zip
whose handler is missing or not executable fails as on Lambda: the layer's bootstrap
cannot exec it, the function exits and never becomes ready.

It runs the zip's code with a clean interpreter (``python3 -S``: no site-packages, only
``$LAMBDA_TASK_ROOT``), as Lambda's ``/var/lang/bin/python3`` sees only ``/var/task``.
(tests/support/lambda_runtime.py keeps the buffered ``lambda_entry.handler`` path, which
no deployment uses, for the test that shows it cannot stream.)
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

from inferplane.errors import BuildError

__all__ = [
    "WebAdapterRuntime",
    "base_python",
    "clean_python",
    "lambda_environment",
    "log_tail",
    "unpack",
]

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


def base_python() -> str:
    """The interpreter the virtualenv was made from (CPython's ``sys._base_executable``):
    with ``-S`` it sees the standard library only, as Lambda's ``python3`` does."""
    return str(vars(sys).get("_base_executable", sys.executable))


def log_tail(log: Path, chars: int = 2000) -> str:
    """The end of what a function wrote (stdout and stderr, as CloudWatch gets it)."""
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def clean_python(directory: Path) -> Path:
    """``python3`` on PATH: this interpreter without site-packages (``-S``)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "python3"
    shim.write_text(f'#!/bin/sh\nexec {base_python()} -S "$@"\n')
    shim.chmod(0o755)
    return directory


def lambda_environment(task_root: Path, handler: str, bin_dir: Path) -> dict[str, str]:
    """The variables Lambda's runtime sets for the function's process."""
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
            **lambda_environment(task_root, handler, clean_python(workdir / "lang-bin")),
            **self.environment,
        }
        self.log = workdir / "function.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> WebAdapterRuntime:
        # A Lambda sandbox starts with the port free. Here another process may hold it (a
        # router left over from an interrupted run): its answers would pass for this
        # function's, so refuse rather than probe it.
        if _listening(self.port):
            raise BuildError(
                f"127.0.0.1:{self.port} (AWS_LWA_PORT) is already in use by another process; "
                "stop it (e.g. a router left over from an interrupted run) and retry"
            )
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
                raise BuildError(f"the function exited before it was ready:\n{self.log_tail()}")
            try:
                status, _, _ = self._request("GET", self.readiness, {}, b"", buffered=True)
                if _healthy(self.healthy, status):
                    return
            except OSError:
                pass
            time.sleep(0.01)
        raise BuildError(
            f"the function was not ready in {self.ready_timeout_s}s:\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 2000) -> str:
        """The end of what the function wrote (stdout and stderr, as CloudWatch gets it)."""
        return log_tail(self.log, chars)

    def invoke(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Iterator[bytes]:
        """The response body as the function URL client receives it."""
        _, _, chunks = self.respond(method, path, headers, body)
        yield from chunks

    def respond(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Iterator[bytes]]:
        """Status, headers and the body as the function URL client receives it."""
        buffered = self.mode != "response_stream"
        return self._request(method, path, headers, body, buffered=buffered)

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


def _listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
