"""Tenant isolation on the request path (issue 19): caches, target pinning, the data-class
header and rate limits, through the real router over loopback HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from inferplane.router.app import create_app
from inferplane.router.auth import new_key
from tests.router import configs
from tests.router.configs import chat, target
from tests.router.fakes import FakeOpenAI, LoopThread

SYSTEM = 12 * (
    "You are the internal assistant of Example Corp. Answer politely and concisely, cite the "
    "policy handbook where it applies, never speculate, and escalate to a human when unsure. "
)
SALARY = "What is the annual salary of employee Jane Doe in engineering?"
VPN = "How do I reset my VPN password?"


def _conversation(question: str) -> dict[str, Any]:
    return {
        "model": "default",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
        ],
    }


def _keys(**bindings: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Fresh keys by id: the plaintexts and their config entries."""
    plaintexts, entries = {}, []
    for key_id, binding in bindings.items():
        plaintext, entry = new_key(key_id, **binding)
        plaintexts[key_id] = plaintext
        entries.append(entry.model_dump(exclude_defaults=True))
    return plaintexts, entries


def _router(
    loop: LoopThread, upstream: FakeOpenAI, keys: list[dict[str, Any]], cache: dict[str, Any]
) -> str:
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {"primary": target(up.url, ("public", "confidential", "restricted"))},
        [{"name": "default", "targets": ["primary"]}],
        keys=keys,
        cache=cache,
    )
    return loop.serve(create_app(cfg)).url


def _ask(url: str, key: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {key}", **headers},
    )


SEMANTIC = {"exact": {"enabled": False}, "semantic": {"enabled": True, "threshold": 0.8}}


def test_semantic_cache_never_answers_one_tenant_with_anothers_answer(loop: LoopThread) -> None:
    """The reported exploit: two keys share a long system prompt; key A's unrelated
    question came back with key B's cached answer about an employee's salary."""
    upstream = FakeOpenAI("primary")
    upstream.echo = True
    plaintexts, entries = _keys(a={}, b={})
    url = _router(loop, upstream, entries, SEMANTIC)
    salary = _ask(url, plaintexts["b"], _conversation(SALARY))
    vpn = _ask(url, plaintexts["a"], _conversation(VPN))
    assert salary.json()["choices"][0]["message"]["content"] == f"answer from primary to: {SALARY}"
    assert vpn.headers["x-inferplane-cache"] == "miss"
    assert vpn.json()["choices"][0]["message"]["content"] == f"answer from primary to: {VPN}"
    assert [r["messages"][-1]["content"] for r in upstream.requests] == [SALARY, VPN]


def test_semantic_cache_compares_the_last_user_turn_within_one_tenant(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    upstream.echo = True
    plaintexts, entries = _keys(a={})
    url = _router(loop, upstream, entries, SEMANTIC)
    key = plaintexts["a"]
    _ask(url, key, _conversation(SALARY))
    rephrased = _ask(url, key, _conversation(SALARY + " Thanks"))
    other = _ask(url, key, _conversation(VPN))  # same long system prompt, other question
    assert rephrased.headers["x-inferplane-cache"] == "hit"
    assert other.headers["x-inferplane-cache"] == "miss"
    assert other.json()["choices"][0]["message"]["content"] == f"answer from primary to: {VPN}"
    assert len(upstream.requests) == 2


def test_same_question_after_different_turns_is_not_a_semantic_hit(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    plaintexts, entries = _keys(a={})
    url = _router(loop, upstream, entries, SEMANTIC)

    def follow_up(first: str) -> dict[str, Any]:
        return {
            "model": "default",
            "messages": [
                {"role": "user", "content": first},
                {"role": "assistant", "content": "Sure."},
                {"role": "user", "content": "and now the same in French please"},
            ],
        }

    first = _ask(url, plaintexts["a"], follow_up("Describe the holiday policy"))
    second = _ask(url, plaintexts["a"], follow_up("Describe the expenses policy"))
    assert [first.headers["x-inferplane-cache"], second.headers["x-inferplane-cache"]] == [
        "miss",
        "miss",
    ]


@pytest.mark.parametrize(
    ("a", "b", "second"),
    [
        ({}, {}, "miss"),  # two tenants: nothing shared, the header reveals nothing
        ({"team": "hr"}, {"team": "hr"}, "hit"),  # one team is one tenant
        ({"team": "hr"}, {"team": "sales"}, "miss"),
    ],
)
def test_exact_cache_is_scoped_by_tenant(
    loop: LoopThread, a: dict[str, Any], b: dict[str, Any], second: str
) -> None:
    upstream = FakeOpenAI("primary")
    plaintexts, entries = _keys(a=a, b=b)
    url = _router(loop, upstream, entries, {"exact": {"enabled": True}})
    first = _ask(url, plaintexts["b"], _conversation(SALARY))
    again = _ask(url, plaintexts["a"], _conversation(SALARY))
    assert (first.headers["x-inferplane-cache"], again.headers["x-inferplane-cache"]) == (
        "miss",
        second,
    )
    assert len(upstream.requests) == (1 if second == "hit" else 2)


def _cheap_and_premium(loop: LoopThread) -> tuple[str, dict[str, str], FakeOpenAI, FakeOpenAI]:
    cheap, premium = FakeOpenAI("cheap"), FakeOpenAI("premium")
    ups = [loop.serve(cheap.app), loop.serve(premium.app)]
    plaintexts, entries = _keys(
        limited={"routes": ["cheap"]},
        anyroute={},
    )
    cfg = configs.config(
        {
            "cheap": target(ups[0].url, ("public",), input_cost_per_1k=0.0001),
            "premium": target(ups[1].url, ("public",), input_cost_per_1k=0.03),
        },
        [
            {"name": "premium", "match": {"alias": "best"}, "targets": ["premium"]},
            {"name": "cheap", "targets": ["cheap"]},
        ],
        keys=entries,
    )
    return loop.serve(create_app(cfg)).url, plaintexts, cheap, premium


def test_a_key_limited_to_a_cheap_route_cannot_pin_the_premium_target(loop: LoopThread) -> None:
    url, plaintexts, _, premium = _cheap_and_premium(loop)
    pinned = _ask(url, plaintexts["limited"], chat(model="premium"))
    assert pinned.status_code == 403
    error = pinned.json()["error"]
    assert error["code"] == "target_not_allowed"
    assert error["message"] == (
        "model 'premium' names a target that route 'cheap' (the route this request matched) "
        "does not use; targets you may name here: cheap"
    )
    assert premium.requests == []
    allowed = _ask(url, plaintexts["limited"], chat(model="cheap"))
    assert (allowed.status_code, allowed.headers["x-inferplane-target"]) == (200, "cheap")
    listed = httpx.get(
        f"{url}/v1/models", headers={"authorization": f"Bearer {plaintexts['limited']}"}
    )
    assert [m["id"] for m in listed.json()["data"]] == ["cheap"]


def test_pinning_is_limited_to_the_matched_route_for_every_key(loop: LoopThread) -> None:
    url, plaintexts, _, premium = _cheap_and_premium(loop)
    # The request matches route "cheap" (no alias): its targets are all that may be named.
    pinned = _ask(url, plaintexts["anyroute"], chat(model="premium"))
    assert (pinned.status_code, pinned.json()["error"]["code"]) == (403, "target_not_allowed")
    by_alias = _ask(url, plaintexts["anyroute"], chat(model="best"))
    assert (by_alias.status_code, by_alias.headers["x-inferplane-target"]) == (200, "premium")
    assert len(premium.requests) == 1


def _global_and_zone(
    loop: LoopThread, **extra: Any
) -> tuple[str, FakeOpenAI, FakeOpenAI, dict[str, str]]:
    """default_data_class confidential; a global target may take public data only."""
    glob, zone = FakeOpenAI("global"), FakeOpenAI("zone")
    ups = [loop.serve(glob.app), loop.serve(zone.app)]
    plaintexts, entries = _keys(unbound={}, granted={"data_classes": ["confidential", "public"]})
    cfg = configs.config(
        {
            "global": target(ups[0].url, ("public",), location="global:aws"),
            "zone": target(ups[1].url, ("public", "confidential", "restricted")),
        },
        [{"name": "default", "targets": ["global", "zone"]}],
        default_data_class="confidential",
        **{"keys": entries, **extra},
    )
    return loop.serve(create_app(cfg)).url, glob, zone, plaintexts


def test_data_class_header_cannot_lower_the_class_without_keys(loop: LoopThread) -> None:
    url, glob, zone, _ = _global_and_zone(loop, keys=[], auth_required=False)
    lowered = httpx.post(
        f"{url}/v1/chat/completions", json=chat(), headers={"x-inferplane-data-class": "public"}
    )
    assert lowered.status_code == 403
    assert lowered.json()["error"] == {
        "message": "a request without an API key may not send data class 'public' (below its "
        "class 'confidential'); allowed: confidential, restricted",
        "type": "permission_error",
        "param": None,
        "code": "data_class_not_allowed",
    }
    raised = httpx.post(
        f"{url}/v1/chat/completions",
        json=chat(),
        headers={"x-inferplane-data-class": "restricted"},
    )
    plain = httpx.post(f"{url}/v1/chat/completions", json=chat())
    assert (raised.status_code, raised.headers["x-inferplane-data-class"]) == (200, "restricted")
    assert (plain.headers["x-inferplane-target"], plain.headers["x-inferplane-data-class"]) == (
        "zone",
        "confidential",
    )
    assert glob.requests == []
    assert len(zone.requests) == 2


def test_data_class_header_lowers_only_to_a_granted_class(loop: LoopThread) -> None:
    url, glob, _, plaintexts = _global_and_zone(loop)
    unbound = _ask(url, plaintexts["unbound"], chat(), **{"x-inferplane-data-class": "public"})
    assert (unbound.status_code, unbound.json()["error"]["code"]) == (
        403,
        "data_class_not_allowed",
    )
    assert glob.requests == []
    granted = _ask(url, plaintexts["granted"], chat(), **{"x-inferplane-data-class": "public"})
    assert (granted.status_code, granted.headers["x-inferplane-target"]) == (200, "global")


def test_rate_limits_apply_without_api_keys(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {"primary": target(up.url, ("public",))},
        [{"name": "default", "targets": ["primary"]}],
        keys=[],
        auth_required=False,
        limits={"anonymous_rpm_per_client": 2, "anonymous_rpm": 3},
    )
    url = loop.serve(create_app(cfg)).url
    statuses = [httpx.post(f"{url}/v1/chat/completions", json=chat()).status_code for _ in "abc"]
    assert statuses == [200, 200, 429]
    limited = httpx.post(f"{url}/v1/chat/completions", json=chat())
    assert limited.json()["error"]["message"] == "client 127.0.0.1 exceeded 2 requests/min"

    def from_address(address: str) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport) as client:
            return client.post(f"{url}/v1/chat/completions", json=chat())

    assert from_address("127.0.0.2").status_code == 200  # its own window; 3 of 3 in all
    over = from_address("127.0.0.3")
    assert (over.status_code, over.json()["error"]["message"]) == (
        429,
        "this router (no API keys) exceeded 3 requests/min",
    )
    assert len(upstream.requests) == 3
