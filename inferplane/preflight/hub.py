"""What the Hugging Face Hub says about a checkpoint: the online half of the ``checkpoint``
block, which the spec fills from a dated table offline (``inferplane.catalog.checkpoints``).

One call per repo (and revision): ``GET {endpoint}/api/models/{repo}[/revision/{rev}]``,
the endpoint ``huggingface_hub`` itself uses (``HF_ENDPOINT``, default
``https://huggingface.co``), with ``HF_TOKEN`` as a bearer token when set (private repos).
Model metadata of a gated repo is public; only its files need the accepted licence.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from inferplane.errors import CloudAccessError

__all__ = ["DEFAULT_ENDPOINT", "HttpHubApi", "HubApi", "HubError", "HubModel"]

DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT_S = 10.0


class HubError(CloudAccessError):
    """The Hub could not be asked, or answered something this check cannot read."""


@dataclass(frozen=True)
class HubModel:
    """The facts preflight compares with the spec's checkpoint view."""

    repo: str
    sha: str | None
    gated: bool
    """``gated`` is ``"auto"`` or ``"manual"`` on the Hub (approval kind): both need a token."""
    disabled: bool
    quantization: str | None
    """``config.quantization_config.quant_method`` (``awq``, ``gptq``, ``fp8``...); None
    when the Hub lists no quantization config (16-bit weights, or not reported)."""
    params_b: float | None
    """``safetensors.total`` in billions; None for repos without safetensors metadata."""

    @classmethod
    def from_api(cls, repo: str, body: dict[str, Any]) -> HubModel:
        config = body.get("config") if isinstance(body.get("config"), dict) else {}
        quant = (config or {}).get("quantization_config")
        method = quant.get("quant_method") if isinstance(quant, dict) else None
        safetensors = body.get("safetensors")
        total = safetensors.get("total") if isinstance(safetensors, dict) else None
        return cls(
            repo=repo,
            sha=body.get("sha") if isinstance(body.get("sha"), str) else None,
            gated=body.get("gated") not in (None, False),
            disabled=bool(body.get("disabled", False)),
            quantization=str(method).lower() if method else None,
            params_b=total / 1e9 if isinstance(total, int | float) and total > 0 else None,
        )


class HubApi(Protocol):
    def model_info(self, repo: str, revision: str | None) -> HubModel | None:
        """The repo's facts at ``revision`` (default branch when None); None when the Hub
        has no such repo or revision (or it is private and no token was given)."""


class HttpHubApi:
    """``HubApi`` over HTTPS with the standard library (no extra dependency)."""

    def __init__(self, endpoint: str | None = None, token: str | None = None) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.token = token if token is not None else os.environ.get("HF_TOKEN")
        scheme = urllib.parse.urlsplit(self.endpoint).scheme
        if scheme not in ("https", "http"):
            raise HubError(f"Hub endpoint {self.endpoint!r}: allowed schemes are https and http")

    def url(self, repo: str, revision: str | None) -> str:
        path = "/".join(urllib.parse.quote(part, safe="") for part in repo.split("/"))
        url = f"{self.endpoint}/api/models/{path}"
        if revision:
            url += f"/revision/{urllib.parse.quote(revision, safe='')}"
        return url

    def model_info(self, repo: str, revision: str | None) -> HubModel | None:
        request = urllib.request.Request(self.url(repo, revision), method="GET")
        request.add_header("Accept", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
                body = json.loads(reply.read(4 << 20))
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 404):  # the Hub answers 401 for unknown repos too
                return None
            raise HubError(f"the Hub answered GET /api/models/{repo} with HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HubError(f"the Hub at {self.endpoint} could not be reached: {reason}") from exc
        except ValueError as exc:
            raise HubError(f"the Hub's answer for {repo} is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise HubError(f"the Hub's answer for {repo} is not a JSON object")
        return HubModel.from_api(repo, body)
