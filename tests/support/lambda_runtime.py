"""The buffered path no deployment uses any more: ``lambda_entry.handler`` behind a BUFFERED
function URL (the body exists only once the handler has returned), kept for the test that
shows it cannot stream. The deployed path's fake, ``WebAdapterRuntime``, lives in
``inferplane.smoke.lambda_runtime`` (the smoke drives it too)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

from inferplane.smoke.lambda_runtime import clean_python, lambda_environment
from tests.support import lambda_handler_driver

__all__ = ["BufferedRuntime"]


class BufferedRuntime:
    """The old path: ``lambda_entry.handler`` behind a BUFFERED function URL."""

    def __init__(self, task_root: Path, environment: Mapping[str, str], workdir: Path) -> None:
        bin_dir = clean_python(workdir / "lang-bin")
        self.command = [str(bin_dir / "python3"), lambda_handler_driver.__file__, str(task_root)]
        self.env = {
            **lambda_environment(task_root, "lambda_entry.handler", bin_dir),
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
