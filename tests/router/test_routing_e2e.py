"""The router against fake upstreams over real loopback HTTP."""

from __future__ import annotations

import httpx
import pytest

from router.app import create_app
from tests.router import configs
from tests.router.configs import auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread


def _serve(loop: LoopThread, primary: FakeOpenAI, fallback: FakeOpenAI, **extra: object):
    ups = [loop.serve(primary.app), loop.serve(fallback.app)]
    cfg = configs.config(
        {
            "primary": target(ups[0].url, ("public", "confidential")),
            "fallback": target(ups[1].url, ("public", "confidential", "restricted")),
        },
        [{"name": "default", "targets": ["primary", "fallback"]}],
        **extra,
    )
    router = loop.serve(create_app(cfg))
    return ups, router


def test_json_answer_comes_from_the_first_target(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    _, router = _serve(loop, primary, fallback)
    response = httpx.post(f"{router.url}/v1/chat/completions", json=chat(), headers=auth())
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "answer from primary"
    assert response.headers["x-inferplane-target"] == "primary"
    assert primary.requests[0]["model"] == "m"


@pytest.mark.parametrize("mode", ["status", "hang", "reset", "down"])
def test_falls_back_when_the_first_target_fails(loop: LoopThread, mode: str) -> None:
    primary, fallback = FakeOpenAI("primary"), FakeOpenAI("fallback")
    ups, router = _serve(loop, primary, fallback)
    primary.mode = mode
    if mode == "down":
        ups[0].stop()
    response = httpx.post(f"{router.url}/v1/chat/completions", json=chat(), headers=auth())
    primary.release.set()
    assert response.status_code == 200, response.text
    assert response.headers["x-inferplane-target"] == "fallback"
