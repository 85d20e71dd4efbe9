"""The admin API (issue 15, "Operator features"): keys created, used and revoked at run
time, seen by a second router process through a real redis-server, stored hashed; the
admin credential; budgets (429 + Retry-After) and spend."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from inferplane.router.app import create_app
from inferplane.router.budgets import period_of, seconds_to_reset
from inferplane.router.config import RouterConfig
from inferplane.smoke.redis import LocalRedis
from tests.router import configs
from tests.router.configs import chat, target
from tests.router.fakes import FakeOpenAI, LoopThread, free_port
from tests.router.test_workers import _ready, _start

ADMIN_SECRET = "admin-" + "x" * 40
ADMIN = {"authorization": f"Bearer {ADMIN_SECRET}"}
ENV = {"ROUTER_ADMIN_KEY": ADMIN_SECRET}


def _config(upstream: str, admin_api: bool = True, **extra: Any) -> RouterConfig:
    admin = {
        **configs.operators(),
        **({"api_key": {"store": "env", "name": "ROUTER_ADMIN_KEY"}} if admin_api else {}),
    }
    costs = {"input_cost_per_1k": 1.0, "output_cost_per_1k": 2.0}  # 7 in + 3 out: 0.013 USD
    return configs.config(
        {"cloud": target(upstream, ("public", "confidential"), **costs)},
        [{"name": "default", "targets": ["cloud"]}],
        admin=admin,
        **extra,
    )


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


class _Router:
    """``python -m router`` in its own process (as ``test_workers`` starts it)."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = _start(path, port, env=env)
        _ready(self.url, self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        if self.process.stderr is not None:
            self.process.stderr.close()


def _as_bytes(value: bytes | str) -> bytes:
    """A Redis reply as bytes (the client decodes nothing; its types allow str)."""
    return value if isinstance(value, bytes) else value.encode()


def test_key_created_on_one_replica_is_used_and_revoked_on_another(
    loop: LoopThread, redis_server: LocalRedis, tmp_path: Path
) -> None:
    up = loop.serve(FakeOpenAI("cloud").app)
    state = {"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}}
    path = tmp_path / "router.json"
    path.write_text(_config(up.url, state=state).to_json())
    env = {**ENV, "ROUTER_REDIS_URL": redis_server.url}
    a, b = _Router(path, env), _Router(path, env)
    try:
        created = httpx.post(
            f"{a.url}/admin/keys",
            json={"id": "ci", "team": "search", "data_classes": ["public"]},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        key = created.json()["key"]
        assert created.json()["team"] == "search"
        # Replica B knows the key at once, and a spec key keeps working beside it.
        answer = httpx.post(f"{b.url}/v1/chat/completions", json=chat(), headers=_bearer(key))
        assert answer.status_code == 200, answer.text
        spec_key = httpx.post(f"{b.url}/v1/chat/completions", json=chat(), headers=configs.auth())
        assert spec_key.status_code == 200
        listed = httpx.get(f"{b.url}/admin/keys", headers=ADMIN).json()["data"]
        assert [k["id"] for k in listed] == ["ci"]
        assert key not in str(listed)
        assert "sha256" not in listed[0]
        # Stored hashed only: the plaintext is nowhere in Redis, its SHA-256 is.
        store = redis.Redis(port=redis_server.port)
        dump = b"".join(
            _as_bytes(name)
            + b"".join(map(_as_bytes, store.hgetall(name).keys()))
            + b"".join(map(_as_bytes, store.hgetall(name).values()))
            if store.type(name) == b"hash"
            else _as_bytes(name) + _as_bytes(store.get(name) or b"")
            for name in store.keys("*")
        )
        store.close()
        assert key.encode() not in dump
        assert hashlib.sha256(key.encode()).hexdigest().encode() in dump
        # Revoked on A: refused on B on its very next request.
        revoked = httpx.delete(f"{a.url}/admin/keys/ci", headers=ADMIN)
        assert revoked.json() == {"id": "ci", "revoked": True}
        refused = httpx.post(f"{b.url}/v1/chat/completions", json=chat(), headers=_bearer(key))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_api_key"
        assert httpx.delete(f"{b.url}/admin/keys/ci", headers=ADMIN).status_code == 404
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize(
    ("admin_api", "headers", "status", "code"),
    [
        (False, ADMIN, 403, "admin_api_off"),  # no credential configured: off
        (True, {}, 401, "invalid_admin_key"),
        (True, _bearer("admin-wrong"), 401, "invalid_admin_key"),
        (True, _bearer(configs.OPERATOR_KEY), 401, "invalid_admin_key"),  # /metrics' is not it
        (True, configs.auth(), 401, "invalid_admin_key"),  # nor is an API key
        (True, {"authorization": "Bearer caf\udce9"}, 401, "invalid_admin_key"),
    ],
)
def test_admin_api_refuses_without_the_admin_credential(
    loop: LoopThread,
    monkeypatch: pytest.MonkeyPatch,
    admin_api: bool,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_KEY", ADMIN_SECRET)
    up = loop.serve(FakeOpenAI("cloud").app)
    url = loop.serve(create_app(_config(up.url, admin_api))).url
    for method, path in [("POST", "/admin/keys"), ("GET", "/admin/keys"), ("GET", "/admin/spend")]:
        answer = loop.run(_raw(url, method, path, headers))
        assert (answer[0], answer[1]["error"]["code"]) == (status, code)


async def _raw(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    """Through aiohttp's client: it sends header bytes httpx refuses to encode."""
    import aiohttp

    raw = {k: v.encode("utf-8", "surrogateescape").decode("latin-1") for k, v in headers.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url + path, headers=raw, json={}) as response,
    ):
        return response.status, await response.json()


def test_budget_exhausted_is_429_with_retry_after_until_the_month_ends(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_KEY", ADMIN_SECRET)
    up = loop.serve(FakeOpenAI("cloud").app)
    app = create_app(_config(up.url))
    url = loop.serve(app).url
    key = httpx.post(
        f"{url}/admin/keys", json={"id": "b1", "budget_usd": 0.02}, headers=ADMIN
    ).json()["key"]
    statuses = []
    for _ in range(3):  # 0.013 USD each: the third finds 0.026 >= 0.02 spent
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=_bearer(key))
        statuses.append(answer.status_code)
        time.sleep(0.05)  # the charge is recorded off the request path
    assert statuses == [200, 200, 429]
    error = answer.json()["error"]
    assert (error["type"], error["code"]) == ("insufficient_quota", "budget_exceeded")
    assert "API key 'b1' has spent its budget of 0.02 USD" in error["message"]
    retry_after = int(answer.headers["retry-after"])
    assert abs(retry_after - seconds_to_reset(time.time())) <= 2
    spend = httpx.get(f"{url}/admin/spend", params={"key": "b1"}, headers=ADMIN).json()
    assert spend == {
        "scope": "key:b1",
        "period": period_of(time.time()),
        "spend_usd": pytest.approx(0.026),
        "budget_usd": 0.02,
    }
    metrics = httpx.get(f"{url}/metrics", headers=configs.auth(configs.OPERATOR_KEY)).text
    assert 'inferplane_spend_usd_total{key="b1",team=""} 0.026' in metrics
    assert 'inferplane_requests_total{route="-",target="-",status="429"' in metrics


def test_team_budget_refuses_every_key_of_the_team(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_KEY", ADMIN_SECRET)
    up = loop.serve(FakeOpenAI("cloud").app)
    url = loop.serve(create_app(_config(up.url))).url
    keys = [
        httpx.post(f"{url}/admin/keys", json={"id": i, "team": "t"}, headers=ADMIN).json()["key"]
        for i in ("t1", "t2")
    ]
    bad = httpx.put(f"{url}/admin/teams/a:b/budget", json={"budget_usd": 1}, headers=ADMIN)
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "team")
    budget = httpx.put(f"{url}/admin/teams/t/budget", json={"budget_usd": 0.01}, headers=ADMIN)
    assert budget.json() == {"team": "t", "budget_usd": 0.01}
    first = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=_bearer(keys[0]))
    assert first.status_code == 200
    time.sleep(0.05)
    refused = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=_bearer(keys[1]))
    assert refused.status_code == 429
    assert "team 't' has spent its budget of 0.01 USD" in refused.json()["error"]["message"]
    spend = httpx.get(f"{url}/admin/spend", params={"team": "t"}, headers=ADMIN).json()
    assert (spend["spend_usd"], spend["budget_usd"]) == (pytest.approx(0.013), 0.01)


def test_expired_and_invalid_keys(loop: LoopThread, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_KEY", ADMIN_SECRET)
    up = loop.serve(FakeOpenAI("cloud").app)
    url = loop.serve(create_app(_config(up.url))).url
    old = httpx.post(f"{url}/admin/keys", json={"id": "old", "expires_at": 1}, headers=ADMIN)
    refused = httpx.post(
        f"{url}/v1/chat/completions", json=chat(), headers=_bearer(old.json()["key"])
    )
    assert refused.status_code == 401
    assert "API key 'old' expired at 1 (unix)" in refused.json()["error"]["message"]
    cases = [
        ({"id": "old"}, 409, "a key with id 'old' exists"),
        ({"id": "app"}, 409, "a key with id 'app' exists"),  # a key of the config
        ({"data_classes": ["secret"]}, 400, "unknown data_classes ['secret']"),
        ({"budget_usd": -1}, 400, "budget_usd: Input should be greater than 0"),
        ({"ttl_s": 5, "expires_at": 9}, 400, "give expires_at or ttl_s, not both"),
        ({"colour": "red"}, 400, "colour: Extra inputs are not permitted"),
    ]
    for body, status, message in cases:
        answer = httpx.post(f"{url}/admin/keys", json=body, headers=ADMIN)
        assert (answer.status_code, message in answer.json()["error"]["message"]) == (
            status,
            True,
        ), answer.text


def test_a_run_time_key_fails_closed_while_redis_is_down(
    loop: LoopThread, redis_server: LocalRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_KEY", ADMIN_SECRET)
    monkeypatch.setenv("ROUTER_REDIS_URL", redis_server.url)
    up = loop.serve(FakeOpenAI("cloud").app)
    state = {"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}}
    url = loop.serve(create_app(_config(up.url, state=state))).url
    created = httpx.post(f"{url}/admin/keys", json={"team": "t"}, headers=ADMIN).json()
    redis_server.stop()
    refused = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=_bearer(created["key"]))
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "key_store_unavailable")
    assert refused.headers["retry-after"] == "1"
    # Keys of the config do not need the store; a budget check that cannot read lets
    # them through.
    spec_key = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=configs.auth())
    assert spec_key.status_code == 200
    listed = httpx.get(f"{url}/admin/keys", headers=ADMIN)
    assert (listed.status_code, listed.json()["error"]["code"]) == (503, "state_unavailable")
    # Back (empty: the test server keeps nothing): the key is looked up again, not 503.
    redis_server.start()
    again = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=_bearer(created["key"]))
    assert (again.status_code, again.json()["error"]["code"]) == (401, "invalid_api_key")
