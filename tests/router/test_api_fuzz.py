"""Property-based fuzzing of the HTTP API: whatever arrives, never a 5xx from the router."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import auth, target
from tests.router.fakes import FakeOpenAI, LoopThread

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]) | json_values},
        optional={"content": st.text(max_size=60) | json_values},
    )
    | json_values,
    max_size=3,
)
params = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["default", "simple", "complex", "primary"]) | json_values,
        "messages": messages,
        "stream": st.booleans() | json_values,
        "max_tokens": st.integers(-5, 10**9) | json_values,
        "temperature": st.floats(-1, 3, allow_nan=False) | json_values,
        "stop": json_values,
        "n": st.integers(-1, 200),
        "stream_options": json_values,
    },
) | st.dictionaries(st.text(max_size=12), json_values, max_size=3)
headers = st.fixed_dictionaries(
    {},
    optional={
        "x-inferplane-data-class": st.sampled_from(["public", "confidential", "restricted", "x"]),
        "x-inferplane-latency-budget-ms": st.sampled_from(["1", "100", "-3", "abc", "99999"]),
        "authorization": st.sampled_from(["Bearer nope", "Basic x", ""]),
    },
)


def test_fuzzed_requests_never_get_a_5xx_from_the_router(loop: LoopThread) -> None:
    up = loop.serve(FakeOpenAI("up", chunks=2).app)
    cfg = configs.config(
        {"up": target(up.url, ("public", "confidential", "restricted"))},
        [{"name": "default", "targets": ["up"]}],
        limits={"max_body_bytes": 4096},
    )
    router = loop.serve(create_app(cfg))
    client = httpx.Client(base_url=router.url)

    def check(response: httpx.Response) -> None:
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert "message" in response.json()["error"]

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=params, extra=headers)
    def structured(body: dict[str, Any], extra: dict[str, str]) -> None:
        check(
            client.post(
                "/v1/chat/completions", content=orjson.dumps(body), headers={**auth(), **extra}
            )
        )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        raw=st.binary(max_size=5000),
        path=st.sampled_from(["/v1/chat/completions", "/v1/models", "/nope", "/metrics"]),
    )
    def raw_bytes(raw: bytes, path: str) -> None:
        check(client.post(path, content=raw, headers=auth()))

    with client:
        structured()
        raw_bytes()
