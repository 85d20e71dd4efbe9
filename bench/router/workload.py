"""The benchmark's workload: the API key, the prompts (unique per request), each API's
request body, the wrk Lua scripts that send them, and the router's config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

KEY = "sk-bench-5f0c8a1e9d2b4c6f8e0a1b3c5d7e9f21"
PROMPT = (
    "Summarise request {n}: the quarterly report shows revenue growth in several regions "
    "and we would like a short overview of the main drivers and risks for next year."
)
LUA = """
counter = tonumber(os.getenv("BENCH_OFFSET") or "0")
request = function()
  counter = counter + 1
  local body = string.format('%s', counter)
  return wrk.format("POST", "%s",
    {["Content-Type"]="application/json", ["Authorization"]="Bearer %s"}, body)
end
"""
# Each API's request body as a Lua format string (%%d: the counter); %s: the stream flag.
BODIES = {
    "chat": (
        "/v1/chat/completions",
        '{"model":"default","messages":[{"role":"user","content":"%s"}]%s}',
    ),
    "messages": (
        "/v1/messages",
        '{"model":"default","max_tokens":256,"messages":[{"role":"user","content":"%s"}]%s}',
    ),
    "responses": ("/v1/responses", '{"model":"default","input":"%s"%s}'),
}
TRANSLATED = ("messages", "responses")
"""The APIs translated to chat completions; their CPU is compared with chat's."""


def scripts(directory: Path) -> dict[str, Path]:
    """wrk scripts by name: ``json`` and ``stream`` (chat completions), and
    ``<api> json`` / ``<api> stream`` for every API."""
    paths = {}
    for api, (path, body) in BODIES.items():
        for mode, extra in (("json", ""), ("stream", ',"stream":true')):
            script = directory / f"{api}-{mode}.lua"
            script.write_text(LUA % (body % (PROMPT.format(n="%d"), extra), path, KEY))
            paths[f"{api} {mode}"] = script
            if api == "chat":
                paths[mode] = script
    return paths


def router_config(upstream_port: int) -> dict[str, Any]:
    from inferplane.router.auth import hash_key

    return {
        "stack": "bench",
        "environment": "dev",
        "default_data_class": "public",
        "data_classes": {
            "public": {"placement": "any", "rank": 0},
            "confidential": {"placement": "zone", "rank": 1},
        },
        "targets": {
            "mock": {
                "backend": "openai",
                "model": "m",
                "url": f"http://127.0.0.1:{upstream_port}/v1",
                "location": "cloud:aws:eu-central-1",
                "allowed_data_classes": ["public", "confidential"],
                "input_cost_per_1k": 0.0003,
                "output_cost_per_1k": 0.0015,
            }
        },
        "routes": [{"name": "default", "targets": ["mock"], "max_tokens": 512}],
        "keys": [
            {
                "id": "bench",
                "salt": "s",
                "sha256": hash_key(KEY, "s"),
                "data_classes": ["public", "confidential"],
                "rate_limit_rpm": 10_000_000,
            }
        ],
        "pii_data_class": "confidential",
        "cache": {"exact": {"enabled": True}},
        "access_log": True,
    }
