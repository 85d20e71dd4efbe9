"""Authenticated GETs for the clouds preflight asks over plain REST (ARM, Google APIs):
a Bearer token (from the environment or the cloud's CLI), a JSON object back, and every
failure turned into an error a check reports as could-not-check (401/403 name the
permission; others say what answered and to retry)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inferplane.errors import AccessDeniedError, CloudAccessError

__all__ = ["BearerClient", "cli_token", "segment"]

TIMEOUT_S = 20.0
CLI_TIMEOUT_S = 60
MAX_BODY = 16 << 20


@dataclass(frozen=True)
class BearerClient:
    """GETs to one cloud's REST API as one token. ``service`` names the cloud in
    messages; ``code_key`` is the field of the ``{"error": {...}}`` body holding its error
    code (ARM ``code``, Google ``status``)."""

    token: str
    service: str
    error: type[CloudAccessError]
    code_key: str

    def get(self, url: str, permission: str) -> dict[str, Any]:
        """The JSON object at ``url``; ``permission`` is what a 401/403 says is missing."""
        request = urllib.request.Request(url, method="GET")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        parts = urllib.parse.urlsplit(url)
        service, error = self.service, self.error
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
                body = json.loads(reply.read(MAX_BODY))
        except urllib.error.HTTPError as exc:
            code, message = _error_body(exc, self.code_key)
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


def segment(value: str) -> str:
    """``value`` as one URL path segment (a ``/`` or ``?`` in it cannot change the path)."""
    return urllib.parse.quote(value, safe="")


def cli_token(
    env: str,
    command: Sequence[str],
    *,
    missing: str,
    error: type[CloudAccessError],
    read: Callable[[str], str] = str.strip,
) -> str:
    """An access token: the environment variable ``env`` when set, else what the cloud's
    CLI prints for ``command`` (``read`` takes it from the output). ``missing`` is the
    error when neither is there; a failing CLI is an error naming the command."""
    token = os.environ.get(env)
    if token:
        return token
    executable = shutil.which(command[0])
    if executable is None:
        raise error(missing)
    done = subprocess.run(
        [executable, *command[1:]],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise error(f"`{' '.join(command)}` failed: {done.stderr.strip()[:300]}")
    return read(done.stdout)
