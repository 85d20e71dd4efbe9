"""A fake of Lambda's managed Python runtime running one function from its unpacked
deployment zip: ``_HANDLER`` imported from ``LAMBDA_TASK_ROOT`` by an isolated
interpreter that sees only the zip and what the runtime provides (boto3 and its needs, as
``/var/runtime`` holds them), with Lambda's variables and the function's environment.

One execution environment: invocations run one at a time (Lambda never sends a second
event to a busy environment; it starts another, which a smoke's sequential probes never
need). An invocation that outlives the function's timeout ends the environment, as
Lambda's ``Task timed out`` does; the next invocation starts a fresh one (a cold start,
whose init phase has its own limit, as on Lambda).
"""

from __future__ import annotations

import importlib.util
import json
import select
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from inferplane.smoke import python_runtime_driver
from inferplane.smoke.lambda_runtime import base_python, lambda_environment, log_tail

__all__ = ["RUNTIME_PACKAGES", "PythonFunction", "runtime_dir"]

INIT_TIMEOUT_S = 10.0
"""Lambda's limit on a function's init phase."""
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
"""What Lambda's Python runtime has beside the standard library: boto3 and its needs."""


def runtime_dir(directory: Path) -> Path:
    """Lambda's ``/var/runtime`` stand-in: links to this interpreter's copies of
    ``RUNTIME_PACKAGES`` and nothing else, so the function cannot lean on a package its
    zip does not ship."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue  # six is optional in newer botocore
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


class PythonFunction:
    """``with PythonFunction(task_root, handler, env, workdir) as fn: fn.invoke(event)``"""

    def __init__(
        self,
        task_root: Path,
        handler: str,
        environment: Mapping[str, str],
        workdir: Path,
        *,
        timeout_s: float = 60.0,
    ) -> None:
        self.timeout_s = timeout_s
        self.command = [base_python(), "-I", "-S", python_runtime_driver.__file__]
        self.env = {
            **lambda_environment(task_root, handler, workdir),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir(workdir / "runtime")),
            "TZ": ":UTC",
            **environment,
        }
        self.log = workdir / "function.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> PythonFunction:
        return self

    def _started(self) -> subprocess.Popen[bytes] | str:
        """The running environment, started (its init phase done) if need be; or the
        error its init ended in."""
        if self._process is not None and self._process.poll() is None:
            return self._process
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        # The init phase (interpreter, handler import) has its own limit, apart from
        # the function's timeout; the driver says when it is over.
        if self._line(INIT_TIMEOUT_S) is None:
            init = f"no handler ready in {INIT_TIMEOUT_S:.0f} s"
            return f"Runtime.InitError: {init}\n{self.log_tail()}"
        return self._process

    def _line(self, timeout_s: float) -> bytes | None:
        """The environment's next answer line; None (the environment ended) when it
        exited or did not answer in ``timeout_s``."""
        process = self._process
        assert process is not None
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout_s)
        line = process.stdout.readline() if ready else b""
        if not line:
            self._stop(kill=not ready)
            return None
        return line

    def invoke(self, event: Mapping[str, Any]) -> tuple[Any, str | None]:
        """The handler's result and None, or (None, the error Lambda reports)."""
        with self._lock:
            process = self._started()
            if isinstance(process, str):
                return None, process
            assert process.stdin is not None
            deadline = time.time() + self.timeout_s
            request = {
                "event": event,
                "request_id": str(uuid.uuid4()),
                "deadline_ms": int(deadline * 1000),
            }
            try:
                process.stdin.write(json.dumps(request).encode() + b"\n")
                process.stdin.flush()
            except BrokenPipeError:
                self._stop()
                return None, f"Runtime.ExitError: the runtime exited\n{self.log_tail()}"
            line = self._line(self.timeout_s)
            if line is None:
                if process.returncode == -signal.SIGKILL:
                    return None, f"Task timed out after {self.timeout_s:.2f} seconds"
                return None, f"Runtime.ExitError: the runtime exited\n{self.log_tail()}"
        answer = json.loads(line)
        if "error" in answer:
            error = answer["error"]
            return None, f"{error['errorType']}: {error['errorMessage']}"
        return answer["result"], None

    def log_tail(self, chars: int = 2000) -> str:
        """The end of what the function wrote (as CloudWatch gets it)."""
        return log_tail(self.log, chars)

    def _stop(self, *, kill: bool = False) -> None:
        """End the environment: stdin closed (the loop ends), or killed (timed out)."""
        process, self._process = self._process, None
        if process is None:
            return
        if kill:
            process.kill()
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._stop()
