"""The buffered path no deployment uses any more: ``lambda_entry.handler`` behind a BUFFERED
function URL (the body exists only once the handler has returned), kept for the test that
shows it cannot stream. It is the smoke's fake Lambda Python runtime and function URL
(``inferplane.smoke.python_runtime``, ``function_url``: the ones a ``lambda`` target's
Converse handler runs under); the deployed path's fake, ``WebAdapterRuntime``, lives in
``inferplane.smoke.lambda_runtime``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

from inferplane.smoke.function_url import FunctionUrl
from inferplane.smoke.python_runtime import PythonFunction
from inferplane.smoke.server import Call

__all__ = ["BufferedRuntime"]


class BufferedRuntime:
    """The old path: ``lambda_entry.handler`` behind a BUFFERED function URL."""

    def __init__(self, task_root: Path, environment: Mapping[str, str], workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.function = PythonFunction(task_root, "lambda_entry.handler", environment, workdir)
        self.url = FunctionUrl(
            self.function,
            lambda call: None,  # auth NONE: the test is about buffering
            url_id="buffered",
            region="us-east-1",
            account="000000000000",
        )

    def __enter__(self) -> BufferedRuntime:
        self.function.__enter__()
        return self

    def invoke(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Iterator[bytes]:
        lower = {name.lower(): value for name, value in headers.items()}
        reply, failed = self.url.respond(Call(method, path, lower, body))
        assert failed is None, f"{failed}\n{self.function.log_tail()}"
        yield reply.body

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.function.__exit__(exc_type, exc, traceback)
