"""Blocking HTTP for token issuers and secret stores (stdlib only; runs in worker threads
or at start-up). Errors become ``IssuerError`` naming the URL and the answer."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

__all__ = ["IssuerError", "get_json", "get_text", "jwt_claims", "post_form"]

TIMEOUT_S = 5.0

# Link-local and loopback issuers (metadata servers, the managed-identity endpoint) must
# never be sent through an HTTP proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_DEFAULT = urllib.request.build_opener()


class IssuerError(Exception):
    """A token issuer or secret store did not answer with what was asked."""


def get_text(url: str, headers: Mapping[str, str], *, direct: bool = False) -> str:
    return _call(urllib.request.Request(url, headers=dict(headers)), direct).decode()


def get_json(url: str, headers: Mapping[str, str], *, direct: bool = False) -> Any:
    return _decode(url, get_text(url, headers, direct=direct))


def post_form(url: str, form: Mapping[str, str], headers: Mapping[str, str] | None = None) -> bytes:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method="POST")
    request.add_header("content-type", "application/x-www-form-urlencoded")
    return _call(request, direct=False)


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: the issuer's own statement of ``exp``."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise IssuerError("the issuer answered something that is not a JWT") from exc
    if not isinstance(claims, dict):
        raise IssuerError("the JWT payload is not an object")
    return claims


def _call(request: urllib.request.Request, direct: bool) -> bytes:
    opener = _DIRECT if direct else _DEFAULT
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise IssuerError(f"{_where(request)} answered {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise IssuerError(f"{_where(request)} is unreachable: {exc}") from exc


def _where(request: urllib.request.Request) -> str:
    # Without the query: it may carry an assertion.
    return request.full_url.split("?", 1)[0]


def _decode(url: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise IssuerError(f"{url.split('?', 1)[0]} answered invalid JSON") from exc
