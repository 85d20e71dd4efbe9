"""The aiohttp front (router.app): the core's own paths are plain routes (found in
aiohttp's index by path, not by a regex per request); every other path still reaches the
core (its 404 in OpenAI's shape) and ``/admin/*`` the admin API."""

from __future__ import annotations

import httpx
from aiohttp import web

from inferplane.router.app import GATEWAY, create_app
from tests.router import configs
from tests.router.configs import target
from tests.router.fakes import LoopThread


def _app() -> web.Application:
    config = configs.config(
        {"cloud": target("http://127.0.0.1:9", ("public",))},
        [{"name": "default", "targets": ["cloud"]}],
    )
    return create_app(config)


def test_the_cores_paths_are_plain_routes_and_the_rest_falls_through() -> None:
    app = _app()
    plain = {r.canonical for r in app.router.resources() if isinstance(r, web.PlainResource)}
    assert plain == set(app[GATEWAY].endpoints)
    dynamic = [r.canonical for r in app.router.resources() if isinstance(r, web.DynamicResource)]
    assert dynamic == ["/admin/{tail}", "/{tail}"]


def test_answers_on_plain_and_fallthrough_paths(loop: LoopThread) -> None:
    router = loop.serve(_app())
    health = httpx.get(f"{router.url}/healthz")
    assert health.status_code == 200
    assert health.headers["x-request-id"]
    missing = httpx.post(f"{router.url}/v1/unknown", json={})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "unknown path '/v1/unknown'"
    assert missing.headers["x-request-id"]
    wrong_method = httpx.get(f"{router.url}/v1/chat/completions")
    assert wrong_method.status_code == 405
    admin = httpx.get(f"{router.url}/admin/keys")
    assert (admin.status_code, admin.json()["error"]["code"]) == (403, "admin_api_off")
