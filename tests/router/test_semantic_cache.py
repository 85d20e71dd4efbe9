"""The semantic cache with an embedding target, through the real router over loopback HTTP:
a paraphrase sharing few words is a hit; other data classes and tenants never are; a data
class the embedding target may not receive is never sent to it; metrics say why."""

from __future__ import annotations

import asyncio
import io
import math
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from inferplane.router.app import create_app
from inferplane.router.auth import new_key
from inferplane.router.backends import BackendContext
from inferplane.router.backends.bedrock import BedrockBackend
from inferplane.router.config import TargetConfig
from inferplane.router.core import Gateway, Request
from inferplane.router.embedder import hashing_embedder
from tests.router import configs
from tests.router.configs import OPERATOR_KEY, PATIENT, auth, target
from tests.router.embedding_fake import (
    HOLIDAYS,
    MEANINGS,
    PASSWORD,
    PASSWORD_PARAPHRASE,
    FakeEmbedder,
)
from tests.router.fakes import FakeOpenAI, LoopThread
from tests.support.images import GIF, image_part, png_url

THRESHOLD = 0.95
PRICES = {"input_cost_per_1k": 1.0, "output_cost_per_1k": 2.0}
# Not the suite's FAST timeouts: nothing here tests a slow upstream, and a collector pause
# in a big test session must not turn into a 503.


def _semantic(**extra: Any) -> dict[str, Any]:
    semantic = {"enabled": True, "embedder": "target:embedder", "threshold": THRESHOLD}
    return {"exact": {"enabled": False}, "semantic": {**semantic, **extra}}


def _embedder_target(url: str, classes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "backend": "openai",
        "model": "embed-small",
        "url": url,
        "location": "cloud:aws:us-east-1",
        "allowed_data_classes": classes,
        "input_cost_per_1k": 0.02,
    }


def _router(
    loop: LoopThread,
    upstream: FakeOpenAI,
    embedder: FakeEmbedder,
    *,
    embed_classes: tuple[str, ...] = ("public",),
    **semantic: Any,
) -> tuple[str, dict[str, str]]:
    """The router's URL and the plaintext of keys a, b (own tenants) and c, d (team t)."""
    keys, entries = {}, []
    for key_id, team in (("a", None), ("b", None), ("c", "t"), ("d", "t")):
        plaintext, entry = new_key(key_id, data_classes=("public", "confidential"), team=team)
        keys[key_id] = plaintext
        entries.append(entry.model_dump(exclude_defaults=True))
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {
            "primary": target(
                up.url, ("public", "confidential", "restricted"), timeouts=PATIENT, **PRICES
            ),
            "embedder": _embedder_target(embedder.url, embed_classes),
        },
        [
            {"name": "faq", "match": {"alias": "faq"}, "targets": ["primary"]},
            {"name": "default", "targets": ["primary"]},
        ],
        keys=entries,
        cache=_semantic(**semantic),
    )
    return loop.serve(create_app(cfg)).url, keys


def _ask(url: str, key: str, question: str, model: str = "default", **headers: str) -> str:
    body = {"model": model, "messages": [{"role": "user", "content": question}]}
    auth = {"authorization": f"Bearer {key}", **headers}
    response = httpx.post(f"{url}/v1/chat/completions", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.headers["x-inferplane-cache"]


def _metrics(url: str, name: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {OPERATOR_KEY}"}).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, _, value = line.rpartition(" ")
            found[labels.removeprefix(name)] = float(value)
    return found


def test_the_paraphrase_shares_few_words_and_the_hashing_embedder_misses_it() -> None:
    """The premise of the next test: bag-of-words similarity is far below the threshold."""
    a, b = hashing_embedder(PASSWORD), hashing_embedder(PASSWORD_PARAPHRASE)
    assert sum(x * y for x, y in zip(a, b, strict=True)) < 0.3


def test_a_paraphrase_is_a_hit_and_the_metrics_say_so(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder)
        assert _ask(url, keys["a"], PASSWORD) == "miss"
        assert _ask(url, keys["a"], PASSWORD_PARAPHRASE) == "hit"
        assert _ask(url, keys["a"], HOLIDAYS) == "miss"
        assert embedder.inputs == [PASSWORD, PASSWORD_PARAPHRASE, HOLIDAYS]
    assert [r["messages"][-1]["content"] for r in upstream.requests] == [PASSWORD, HOLIDAYS]
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups == {
        '{route="default",result="miss",reason="no_similar"}': 2,
        '{route="default",result="hit",reason="similar"}': 1,
    }
    # The hit did not buy the cached answer's 7 prompt and 3 completion tokens.
    saved = _metrics(url, "inferplane_semantic_cache_saved_usd_total")
    assert saved == {'{route="default"}': pytest.approx((7 * 1.0 + 3 * 2.0) / 1000)}
    tokens = _metrics(url, "inferplane_semantic_cache_saved_tokens_total")
    assert tokens == {
        '{route="default",kind="prompt"}': 7,
        '{route="default",kind="completion"}': 3,
    }
    # The embedding calls are spent like any target's: 3 tokens each.
    assert _metrics(url, "inferplane_tokens_total")['{target="embedder",kind="prompt"}'] == 9


def test_no_hit_across_tenants_but_within_a_team(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder)
        assert _ask(url, keys["a"], PASSWORD) == "miss"
        assert _ask(url, keys["b"], PASSWORD) == "miss"  # another tenant: same words, no hit
        assert _ask(url, keys["b"], PASSWORD_PARAPHRASE) == "hit"  # its own entry
        assert _ask(url, keys["c"], PASSWORD) == "miss"
        assert _ask(url, keys["d"], PASSWORD_PARAPHRASE) == "hit"  # c and d are team t
    assert len(upstream.requests) == 3


def test_no_hit_across_data_classes(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder, embed_classes=("public", "confidential"))
        confidential = {"x-inferplane-data-class": "confidential"}
        assert _ask(url, keys["a"], PASSWORD) == "miss"
        assert _ask(url, keys["a"], PASSWORD, **confidential) == "miss"
        assert _ask(url, keys["a"], PASSWORD_PARAPHRASE, **confidential) == "hit"
        assert _ask(url, keys["a"], PASSWORD_PARAPHRASE) == "hit"
        assert len(embedder.inputs) == 4  # both classes may be embedded there
    assert len(upstream.requests) == 2


def test_text_of_a_class_the_embedding_target_may_not_receive_is_never_sent(
    loop: LoopThread,
) -> None:
    """The embedding target is out of the confidential class's zone: its requests skip the
    semantic cache (and are counted), the embedder never sees them."""
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder, embed_classes=("public",))
        confidential = {"x-inferplane-data-class": "confidential"}
        assert _ask(url, keys["a"], PASSWORD, **confidential) == "miss"
        assert _ask(url, keys["a"], PASSWORD, **confidential) == "miss"
        # PII raises a public request to restricted: not sent either.
        assert _ask(url, keys["a"], "my card is 4111 1111 1111 1111, " + PASSWORD) == "miss"
        assert embedder.inputs == []
    assert len(upstream.requests) == 3
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups == {'{route="default",result="skip",reason="residency"}': 3}


def test_only_routes_that_opt_in_use_the_cache(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder, routes=["faq"])
        assert _ask(url, keys["a"], PASSWORD) == "miss"
        assert _ask(url, keys["a"], PASSWORD) == "miss"
        assert _ask(url, keys["a"], PASSWORD, model="faq") == "miss"
        assert _ask(url, keys["a"], PASSWORD_PARAPHRASE, model="faq") == "hit"
        assert embedder.inputs == [PASSWORD, PASSWORD_PARAPHRASE]
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups['{route="default",result="skip",reason="route"}'] == 2


def test_a_failing_embedding_target_skips_the_cache_not_the_request(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder(vectors={}) as embedder:  # every sentence unknown: a 400
        url, keys = _router(loop, upstream, embedder)
        assert _ask(url, keys["a"], PASSWORD) == "miss"
    assert len(upstream.requests) == 1
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups == {'{route="default",result="skip",reason="embed_error"}': 1}


def test_vectors_are_unit_length_whatever_the_target_returns() -> None:
    from inferplane.router.semantic.embedders import _unit

    vector = _unit(b'{"data":[{"embedding":[3.0,4.0]}]}')
    assert math.isclose(float(vector @ vector), 1.0, rel_tol=1e-6)


def test_a_bedrock_titan_target_embeds_for_the_semantic_cache(
    loop: LoopThread, aws_env: None
) -> None:
    """The embeddings adapters of /v1/embeddings serve the cache: Bedrock Titan here
    (botocore Stubber: exactly these two InvokeModel calls, in order)."""
    model, region = "amazon.titan-embed-text-v2:0", "eu-central-1"
    titan = {
        "backend": "bedrock",
        "model": model,
        "region": region,
        "location": f"cloud:aws:{region}",
        "allowed_data_classes": ["public"],
    }
    upstream = FakeOpenAI("primary")
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {"primary": target(up.url, ("public",), timeouts=PATIENT), "titan": titan},
        [{"name": "default", "targets": ["primary"]}],
        cache=_semantic(embedder="target:titan"),
    )
    client = boto3.client("bedrock-runtime", region_name=region)
    context = BackendContext(blocking_threads=2)
    backend = BedrockBackend("titan", TargetConfig.model_validate(titan), context, client)
    gateway = Gateway(cfg, backends={"titan": backend})

    async def ask_twice() -> list[str]:
        answers = []
        for question in (PASSWORD, PASSWORD_PARAPHRASE):
            messages = [{"role": "user", "content": question}]
            body = orjson.dumps({"model": "default", "messages": messages})
            response = await gateway.handle(Request("POST", "/v1/chat/completions", auth(), body))
            answers.append(response.headers["x-inferplane-cache"])
        await gateway.close()
        return answers

    with Stubber(client) as stub:
        for question in (PASSWORD, PASSWORD_PARAPHRASE):
            answer = orjson.dumps({"embedding": MEANINGS[question], "inputTextTokenCount": 3})
            stub.add_response(
                "invoke_model",
                {"body": StreamingBody(io.BytesIO(answer), len(answer)), "contentType": "json"},
                {
                    "modelId": model,
                    "body": orjson.dumps({"inputText": question}),
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )
        assert asyncio.run(ask_twice()) == ["miss", "hit"]
        stub.assert_no_pending_responses()
    context.executor.shutdown()
    assert len(upstream.requests) == 1


def test_a_conversation_not_ending_with_a_user_turn_skips_the_cache(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder)
        messages = [
            {"role": "user", "content": PASSWORD},
            {"role": "assistant", "content": "Open the settings page and"},
        ]
        response = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "default", "messages": messages},
            headers={"authorization": f"Bearer {keys['a']}"},
        )
        assert response.status_code == 200, response.text
        assert embedder.inputs == []
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups == {'{route="default",result="skip",reason="conversation"}': 1}


def test_a_question_about_an_image_skips_the_cache(loop: LoopThread) -> None:
    upstream = FakeOpenAI("primary")
    with FakeEmbedder() as embedder:
        url, keys = _router(loop, upstream, embedder)
        for image in (png_url(), png_url(GIF, "image/gif")):
            content = [{"type": "text", "text": PASSWORD}, image_part(image)]
            body = {"model": "default", "messages": [{"role": "user", "content": content}]}
            response = httpx.post(
                f"{url}/v1/chat/completions",
                json=body,
                headers={"authorization": f"Bearer {keys['a']}"},
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-inferplane-cache"] == "miss"
        assert embedder.inputs == []
    lookups = _metrics(url, "inferplane_semantic_cache_total")
    assert lookups == {'{route="default",result="skip",reason="not_text"}': 2}
    assert len(upstream.requests) == 2
