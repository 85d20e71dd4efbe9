"""The packaged router for the smoke test: the Lambda zip built for this machine's Python
and architecture (so its native wheels load here), unpacked and driven through the
function-URL adapter in a clean interpreter."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from inferplane.errors import BuildError
from inferplane.packaging.lambda_zip import LAMBDA_ARCHES, build_lambda_zip
from inferplane.packaging.rootfs import host_arch
from inferplane.packaging.source import router_files
from inferplane.packaging.wheels import LOCK_FILE
from inferplane.smoke import lambda_adapter

__all__ = ["LambdaZipRouter", "host_zip"]

HOST_RUNTIME = f"python3.{sys.version_info.minor}"


def host_zip(root: Path, out_dir: Path, cache: Path, say: Callable[[str], None]) -> Path:
    """The host-runnable zip in ``out_dir``, (re)built when missing or older than the
    router source, the handler or the dependency list."""
    arch = host_arch()
    if arch not in LAMBDA_ARCHES:
        raise BuildError(f"no Lambda architecture for this machine ({arch})")
    path = out_dir / f"router-lambda-{HOST_RUNTIME}-{arch}.zip"
    sources = [p for _, p in router_files(root, require="core.py")]
    sources += [Path(lambda_adapter.__file__).with_name("lambda_adapter.py"), LOCK_FILE]
    newest = max(p.stat().st_mtime for p in sources)
    if path.is_file() and path.stat().st_mtime >= newest:
        return path
    say(f"building the router's Lambda zip for {HOST_RUNTIME}/{arch} into {path} …")
    build_lambda_zip(root, path, cache, arch=arch, runtime=HOST_RUNTIME)
    return path


def unpacked(zip_path: Path) -> Path:
    """The zip's contents (Lambda's ``/var/task``), unpacked once per zip content beside
    it: unpacking 100 MB is most of a smoke run's time."""
    with zip_path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    task = zip_path.resolve().with_name(f".{zip_path.name}.{digest}")
    if (task / ".complete").is_file():
        return task
    with tempfile.TemporaryDirectory(dir=zip_path.parent) as tmp:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tmp)
        Path(tmp, ".complete").write_text(digest + "\n")
        if task.exists():
            shutil.rmtree(task)
        os.replace(tmp, task)
    return task


class LambdaZipRouter:
    """``with LambdaZipRouter(zip, env) as router: router.request(...)``"""

    def __init__(self, zip_path: Path, env: dict[str, str]) -> None:
        self.zip_path = zip_path
        self.env = env
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> LambdaZipRouter:
        self._dir = tempfile.TemporaryDirectory(prefix="inferplane-smoke-")
        task = unpacked(self.zip_path)
        adapter = Path(self._dir.name) / "adapter.py"
        shutil.copyfile(Path(lambda_adapter.__file__), adapter)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self._dir.name}
        # A file, not a pipe: the access log (one line per request) must never block it.
        self._stderr = Path(self._dir.name) / "stderr.log"
        self._stderr_file = self._stderr.open("w")
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(adapter), str(task)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            text=True,
            env={**env, **self.env},
            cwd=self._dir.name,
        )
        return self

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], str]:
        """One function-URL invocation: status, headers, body."""
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        event: dict[str, Any] = {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {"http": {"method": method, "path": path}},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        process.stdin.write(json.dumps(event) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise BuildError(f"the packaged router exited:\n{self.stderr_tail()}")
        result = json.loads(line)
        return int(result["statusCode"]), dict(result.get("headers") or {}), str(result["body"])

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the router wrote to stderr (errors, access log)."""
        try:
            text = self._stderr.read_text(errors="replace")
        except (AttributeError, OSError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._stderr_file.close()
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
