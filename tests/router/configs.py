"""RouterConfig builders for tests."""

from __future__ import annotations

from typing import Any

from inferplane.router.auth import hash_key
from inferplane.router.config import RouterConfig

KEY = "sk-test-public"
KEY_CONFIDENTIAL = "sk-test-confidential"
OPERATOR_KEY = "sk-test-operator"

DATA_CLASSES = {
    "public": {"placement": "any", "rank": 0},
    "confidential": {"placement": "zone", "rank": 1},
    "restricted": {"placement": "edge", "rank": 2},
}

FAST = {"connect": 0.5, "first_byte": 0.3, "total": 0.3}
PATIENT = {"connect": 5.0, "first_byte": 10.0, "total": 10.0}
"""For tests about something other than timeouts: FAST cuts healthy answers on a loaded host."""


def target(url: str, allowed: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {
        "backend": "openai",
        "model": "m",
        "url": url + "/v1",
        "location": "cloud:aws:eu-central-1",
        "allowed_data_classes": allowed,
        "timeouts": FAST,
        **extra,
    }


def keys() -> list[dict[str, Any]]:
    return [
        {
            "id": "app",
            "salt": "s1",
            "sha256": hash_key(KEY, "s1"),
            "data_classes": ["public", "confidential"],
        },
        {
            "id": "hr",
            "salt": "s2",
            "sha256": hash_key(KEY_CONFIDENTIAL, "s2"),
            "data_classes": ["confidential"],
            "rate_limit_rpm": 3,
        },
    ]


def operators() -> dict[str, Any]:
    """The ``admin`` section: one operator credential for /metrics and /readyz details."""
    return {
        "keys": [{"id": "ops", "salt": "s9", "sha256": hash_key(OPERATOR_KEY, "s9")}],
    }


def config(
    targets: dict[str, dict[str, Any]], routes: list[dict[str, Any]], **extra: Any
) -> RouterConfig:
    document: dict[str, Any] = {
        "stack": "test",
        "environment": "dev",
        "default_data_class": "public",
        "data_classes": DATA_CLASSES,
        "targets": targets,
        "routes": routes,
        "keys": keys(),
        "pii_data_class": "restricted",
        "access_log": False,
        "cache": {"exact": {"enabled": False}},
        "admin": operators(),
        **extra,
    }
    return RouterConfig.model_validate(document)


def chat(content: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "default", "messages": [{"role": "user", "content": content}], **extra}


def auth(key: str = KEY) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}
