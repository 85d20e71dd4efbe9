"""The packaged router for the smoke test: the Lambda zip built for this machine's Python
and architecture (so its native wheels load here), unpacked with its file modes and run as
the deployed function runs: the zip's ``run.sh`` under the Lambda Web Adapter, with the
handler and environment the LambdaRouter component renders
(``inferplane.components.router.aws_lambda.function_entry``), in a clean interpreter."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from inferplane.components.router.aws_lambda import function_entry
from inferplane.errors import BuildError
from inferplane.packaging import lambda_zip
from inferplane.packaging.lambda_zip import LAMBDA_ARCHES, build_lambda_zip
from inferplane.packaging.rootfs import host_arch
from inferplane.packaging.source import router_files
from inferplane.packaging.wheels import LOCK_FILE
from inferplane.smoke.lambda_runtime import WebAdapterRuntime, unpack

__all__ = ["LambdaZipRouter", "host_zip"]

HOST_RUNTIME = f"python3.{sys.version_info.minor}"
_UNPACKED = ".unpacked-with-modes"


def host_zip(root: Path, out_dir: Path, cache: Path, say: Callable[[str], None]) -> Path:
    """The host-runnable zip in ``out_dir``, (re)built when missing or older than the
    router source, the packaging (handler, run.sh, zip layout) or the dependency list."""
    arch = host_arch()
    if arch not in LAMBDA_ARCHES:
        raise BuildError(f"no Lambda architecture for this machine ({arch})")
    path = out_dir / f"router-lambda-{HOST_RUNTIME}-{arch}.zip"
    sources = [p for _, p in router_files(root, require="core.py")]
    sources += [*Path(lambda_zip.__file__).parent.glob("lambda_*"), LOCK_FILE]
    newest = max(p.stat().st_mtime for p in sources)
    if path.is_file() and path.stat().st_mtime >= newest:
        return path
    say(f"building the router's Lambda zip for {HOST_RUNTIME}/{arch} into {path} …")
    build_lambda_zip(root, path, cache, arch=arch, runtime=HOST_RUNTIME)
    return path


def unpacked(zip_path: Path) -> Path:
    """The zip's contents (Lambda's ``/var/task``) with their modes, unpacked once per zip
    content beside it: unpacking 100 MB is most of a smoke run's time."""
    with zip_path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    task = zip_path.resolve().with_name(f".{zip_path.name}.{digest}")
    # The marker names the unpacking: one without the modes (before run.sh) is redone.
    if (task / _UNPACKED).is_file():
        return task
    with tempfile.TemporaryDirectory(dir=zip_path.parent) as tmp:
        unpack(zip_path, Path(tmp))
        Path(tmp, _UNPACKED).write_text(digest + "\n")
        if task.exists():
            shutil.rmtree(task)
        os.replace(tmp, task)
    return task


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LambdaZipRouter:
    """``with LambdaZipRouter(zip, env) as router: router.request(...)``: the function's
    handler and adapter environment as the component renders them, ``env`` (the stage's
    config, credentials and endpoints) on top, under the Lambda Web Adapter's fake."""

    def __init__(self, zip_path: Path, env: dict[str, str]) -> None:
        self.zip_path = zip_path
        self.env = env
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._runtime: WebAdapterRuntime | None = None

    def __enter__(self) -> LambdaZipRouter:
        self._dir = tempfile.TemporaryDirectory(prefix="inferplane-smoke-")
        task = unpacked(self.zip_path)
        handler, adapter = function_entry()
        # Lambda gives each function a network of its own; on a shared host the port the
        # adapter and the router agree on must be a free one.
        environment = {**adapter, "AWS_LWA_PORT": str(_free_port()), **self.env}
        runtime = WebAdapterRuntime(task, handler, environment, Path(self._dir.name))
        try:
            self._runtime = runtime.__enter__()
        except BaseException:
            runtime.__exit__(None, None, None)
            self._dir.cleanup()
            self._dir = None
            raise
        return self

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], str]:
        """One function-URL invocation: status, headers (names lower-case), body."""
        if self._runtime is None:
            raise BuildError("the packaged router is not running")
        status, answer, chunks = self._runtime.respond(method, path, headers, body)
        text = b"".join(chunks).decode("utf-8", "replace")
        return status, {name.lower(): value for name, value in answer.items()}, text

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the function wrote (errors, the access log)."""
        if self._runtime is None:
            return ""
        try:
            text = self._runtime.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runtime is not None:
            self._runtime.__exit__(exc_type, exc, tb)
            self._runtime = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
