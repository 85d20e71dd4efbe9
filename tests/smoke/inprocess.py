"""The router's core in this process as a smoke ``PackagedRouter``: the harness's own tests
run in seconds without building the zip (the slow tier runs the real package)."""

from __future__ import annotations

import asyncio
import os
from types import TracebackType

from inferplane.router.config import RouterConfig
from inferplane.router.contract import CONFIG_ENV
from inferplane.router.core import Gateway, Request

__all__ = ["InProcessRouter"]


class InProcessRouter:
    def __init__(self, env: dict[str, str], tamper: object = None) -> None:
        self.env = env
        self.tamper = tamper
        self._saved: dict[str, str | None] = {}
        self._loop = asyncio.new_event_loop()
        self._gateway: Gateway | None = None

    def __enter__(self) -> InProcessRouter:
        self._saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            config = RouterConfig.from_json(self.env[CONFIG_ENV])
            if callable(self.tamper):
                config = self.tamper(config)
            self._gateway = Gateway(config)
            self._loop.run_until_complete(self._gateway.start())
        except BaseException:
            self.__exit__(None, None, None)  # leave no environment behind for other tests
            raise
        return self

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], str]:
        assert self._gateway is not None
        return self._loop.run_until_complete(self._answer(method, path, headers, body))

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        assert self._gateway is not None
        response = await self._gateway.handle(Request(method, path, headers, body))
        data = response.body
        if response.stream is not None:
            data = b"".join([chunk async for chunk in response.stream])
        return response.status, dict(response.headers), data.decode()

    def stderr_tail(self, lines: int = 20) -> str:
        return ""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._gateway is not None:
            self._loop.run_until_complete(self._gateway.close())
        self._loop.close()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
