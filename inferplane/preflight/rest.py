"""One authenticated GET for the clouds preflight asks over plain REST (ARM, Google APIs):
a Bearer token, a JSON object back, and every failure turned into an error a check reports
as could-not-check (401/403 name the permission; others say what answered and to retry)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from inferplane.errors import AccessDeniedError, CloudAccessError

__all__ = ["bearer_get"]

TIMEOUT_S = 20.0
MAX_BODY = 16 << 20


def bearer_get(
    url: str,
    token: str,
    *,
    permission: str,
    service: str,
    error: type[CloudAccessError],
    code_key: str,
) -> dict[str, Any]:
    """GET ``url`` as ``token``. ``service`` names the cloud in messages; ``code_key`` is
    the field of the ``{"error": {...}}`` body holding its error code (ARM ``code``,
    Google ``status``)."""
    request = urllib.request.Request(url, method="GET")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    parts = urllib.parse.urlsplit(url)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
            body = json.loads(reply.read(MAX_BODY))
    except urllib.error.HTTPError as exc:
        code, message = _error_body(exc, code_key)
        if exc.code in (401, 403):
            raise AccessDeniedError(permission, f"{code}: {message}") from exc
        raise error(
            f"{service} answered GET {parts.path} with HTTP {exc.code} {code}: {message}; "
            "retry later if it persists"
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        where = f"{parts.scheme}://{parts.netloc}"
        raise error(f"{service} at {where} could not be reached: {exc}") from exc
    except ValueError as exc:
        raise error(f"{service}'s answer is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise error(f"{service}'s answer is not a JSON object")
    return body


def _error_body(exc: urllib.error.HTTPError, code_key: str) -> tuple[str, str]:
    try:
        error = json.loads(exc.read(1 << 16)).get("error") or {}
    except (ValueError, AttributeError):
        return str(exc.code), exc.reason or ""
    return str(error.get(code_key, exc.code)), str(error.get("message", ""))[:300]
