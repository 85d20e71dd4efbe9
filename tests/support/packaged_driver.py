"""Run inside a packaged router (the unpacked Lambda zip, or the image's rootfs) by a clean
interpreter: import every router module from the package, start the router with the
config in ``INFERPLANE_ROUTER_CONFIG`` and send it a few requests. Prints one JSON line.

    python -I packaged_driver.py ROOT zip|image

Standard library only, and it must not import anything from this checkout: only ROOT's
packages are on ``sys.path``, where the router is the top-level ``router`` package
(inferplane-codemod: skip).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import sys
from typing import Any


def _chat(content: str, stream: bool = False) -> dict[str, object]:
    return {
        "model": "fake-model",
        "messages": [{"role": "user", "content": content}],
        "stream": stream,
    }


OPERATOR = {"authorization": "Bearer ops-key-for-metrics"}
"""The admin key of the test's config (tests/packaging/test_packaged_features.py)."""


def _event(method: str, path: str, body: object = None) -> dict[str, object]:
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": {"content-type": "application/json", **(OPERATOR if path == "/metrics" else {})},
        "requestContext": {"http": {"method": method, "path": path}},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _import_everything(root: str) -> list[str]:
    import router

    names = sorted(m.name for m in pkgutil.walk_packages(router.__path__, "router."))
    for name in ["router", *names]:
        module = importlib.import_module(name)
        assert str(module.__file__).startswith(root), (name, module.__file__)
    return names


# The gateway is the packaged router's (ROOT's), not this checkout's: typed as Any.
def _via_lambda(root: str) -> tuple[Any, list[dict[str, object]]]:
    lambda_entry = importlib.import_module("lambda_entry")  # only inside the unpacked zip

    assert str(lambda_entry.__file__).startswith(root)
    events = [
        _event("GET", "/healthz"),
        _event("POST", "/v1/chat/completions", _chat("what is the capital of france")),
        _event("POST", "/v1/chat/completions", _chat("what is the capital of france?")),
        _event("POST", "/v1/chat/completions", _chat("name three rivers", stream=True)),
        _event("GET", "/metrics"),
    ]
    replies = [lambda_entry.handler(event, None) for event in events]
    answers = [
        {"status": r["statusCode"], "headers": r["headers"], "body": r["body"]} for r in replies
    ]
    return lambda_entry._RUNTIME.gateway, answers


def _via_core() -> tuple[Any, list[dict[str, object]]]:
    import os

    from router.config import RouterConfig
    from router.contract import CONFIG_ENV
    from router.core import Gateway, Request

    gateway = Gateway(RouterConfig.from_json(os.environ[CONFIG_ENV]))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(gateway.start())
    chats = [
        _chat("what is the capital of france"),
        _chat("what is the capital of france?"),
        _chat("name three rivers", stream=True),
    ]
    requests = [
        Request("GET", "/healthz", {}, b""),
        *[Request("POST", "/v1/chat/completions", {}, json.dumps(c).encode()) for c in chats],
        Request("GET", "/metrics", OPERATOR, b""),
    ]

    async def answer(request: Request) -> dict[str, object]:
        response = await gateway.handle(request)
        body = response.body
        if response.stream is not None:
            body = b"".join([chunk async for chunk in response.stream])
        return {"status": response.status, "headers": dict(response.headers), "body": body.decode()}

    return gateway, [loop.run_until_complete(answer(r)) for r in requests]


def main() -> None:
    root, mode = sys.argv[1], sys.argv[2]
    modules = _import_everything(root)
    gateway, answers = _via_lambda(root) if mode == "zip" else _via_core()
    # Every backend constructed, and the boto3 clients too (botocore's data files).
    clients = {}
    for name, backend in gateway.backends.items():
        client = getattr(type(backend), "client", None)
        if isinstance(client, property):
            clients[name] = type(backend.client).__name__
    print(
        json.dumps(
            {
                "modules": modules,
                "backends": {n: type(b).__name__ for n, b in gateway.backends.items()},
                "clients": clients,
                # The Redis store, possibly behind the fail-safe wrapper.
                "store": type(getattr(gateway.store, "_store", gateway.store)).__name__,
                "semantic": gateway.semantic.enabled,
                "answers": answers,
            }
        )
    )


if __name__ == "__main__":
    main()
