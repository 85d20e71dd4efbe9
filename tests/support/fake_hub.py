"""A loopback Hugging Face Hub: ``GET /api/models/{org}/{name}[/revision/{rev}]`` answered
the way the Hub answers (the ``ModelInfo`` fields ``huggingface_hub`` documents: ``id``,
``sha``, ``gated`` as ``False``/``"auto"``/``"manual"``, ``disabled``, ``config`` with
``quantization_config``, ``safetensors.total``), 401 for an unknown repo (the Hub does not
tell unknown from private), 404 for an unknown revision, and a ``Bearer`` check for
private repos. The facts below are as the repos' model cards state them, written down by
hand (not fetched here); the AWQ repo's packed-integer counts are illustrative.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from inferplane.smoke.server import Call, LoopbackServer, Reply, json_reply

__all__ = ["REPOS", "fake_hub"]

REPOS: dict[str, dict[str, Any]] = {
    "Qwen/Qwen2.5-7B-Instruct": {
        "gated": False,
        "config": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"},
        "safetensors": {"parameters": {"BF16": 7615616512}, "total": 7615616512},
    },
    "Qwen/Qwen2.5-1.5B-Instruct": {
        "gated": False,
        "config": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"},
        "safetensors": {"parameters": {"BF16": 1543714304}, "total": 1543714304},
    },
    "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4": {
        "gated": False,
        "config": {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "quantization_config": {"quant_method": "awq", "bits": 4},
        },
        "safetensors": {
            "parameters": {"I32": 879230976, "F16": 1050939392},
            "total": 1930170368,
        },
    },
    "meta-llama/Llama-3.1-8B-Instruct": {
        "gated": "manual",
        "config": {"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
        "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248},
    },
    "microsoft/Phi-3.5-mini-instruct": {
        "gated": False,
        "config": {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3"},
        "safetensors": {"parameters": {"BF16": 3821079552}, "total": 3821079552},
    },
}
REVISIONS = {"main", "v1"}


def hub_app(repos: dict[str, dict[str, Any]], private_token: str | None, seen: list[str]) -> Any:
    def app(call: Call) -> Reply:
        seen.append(call.target)
        # Split the raw path: a revision such as refs%2Fpr%2F1 stays one segment.
        parts = urlsplit(call.target).path.split("/")
        if call.method != "GET" or parts[:3] != ["", "api", "models"] or len(parts) not in (5, 7):
            return json_reply(404, {"error": "not found"})
        repo = f"{parts[3]}/{parts[4]}"
        info = repos.get(repo)
        if info is None:
            return json_reply(401, {"error": "Repository not found"})
        if info.get("private") and call.headers.get("authorization") != f"Bearer {private_token}":
            return json_reply(401, {"error": "Repository not found"})
        if len(parts) == 7 and (parts[5] != "revision" or parts[6] not in REVISIONS):
            return json_reply(404, {"error": f"Revision not found: {parts[-1]}"})
        return json_reply(200, {"id": repo, "sha": "a" * 40, "private": False, **info})

    return app


@contextmanager
def fake_hub(
    repos: dict[str, dict[str, Any]] | None = None, private_token: str | None = None
) -> Iterator[tuple[str, list[str]]]:
    """A running fake Hub: its base URL and the list of request targets it was sent."""
    seen: list[str] = []
    with LoopbackServer(hub_app(REPOS if repos is None else repos, private_token, seen)) as hub:
        yield hub.url, seen
