"""Google credentials from the metadata server (Cloud Run, GCE, GKE workload identity):
OAuth access tokens (``google_access_token``, e.g. Vertex AI) and ID tokens
(``google_id_token``, e.g. a Cloud Run service with IAM invoker auth).

The metadata host is ``GCE_METADATA_HOST`` (host[:port]) if set, as google-auth does.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable

from ..config import TargetConfig
from .fetch import IssuerError, get_json, get_text, jwt_claims
from .options import CredentialOptions
from .tokens import CachedBearer, Token, TokenCache

__all__ = [
    "GoogleAccessToken",
    "GoogleIdToken",
    "metadata_url",
    "mint_access_token",
    "mint_id_token",
]

DEFAULT_HOST = "metadata.google.internal"
FLAVOR = {"Metadata-Flavor": "Google"}


def metadata_url(leaf: str) -> str:
    host = os.environ.get("GCE_METADATA_HOST") or DEFAULT_HOST
    return f"http://{host}/computeMetadata/v1/instance/service-accounts/default/{leaf}"


def mint_access_token(clock: Callable[[], float]) -> Token[str]:
    now = clock()
    answer = get_json(metadata_url("token"), FLAVOR, direct=True)
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise IssuerError("the metadata server's token answer has no access_token")
    lifetime = answer.get("expires_in")
    if not isinstance(lifetime, int | float) or lifetime <= 0:
        raise IssuerError("the metadata server's token answer has no expires_in")
    return Token(answer["access_token"], now + float(lifetime), now)


def mint_id_token(audience: str, clock: Callable[[], float]) -> Token[str]:
    now = clock()
    query = urllib.parse.urlencode({"audience": audience, "format": "full"})
    token = get_text(metadata_url("identity?" + query), FLAVOR, direct=True).strip()
    expiry = jwt_claims(token).get("exp")
    if not isinstance(expiry, int | float):
        raise IssuerError("the metadata server's ID token has no exp claim")
    return Token(token, float(expiry), now)


class GoogleAccessToken(CachedBearer):
    scheme = "google_access_token"

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        clock = options.clock
        self.cache = TokenCache(
            lambda: mint_access_token(clock),
            what=f"target {name!r} (google access token)",
            clock=clock,
            poll_s=options.poll_s,
        )


class GoogleIdToken(CachedBearer):
    scheme = "google_id_token"

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        audience = target.auth.audience
        assert audience is not None  # TargetAuth requires it for this scheme
        clock = options.clock
        self.cache = TokenCache(
            lambda: mint_id_token(audience, clock),
            what=f"target {name!r} (google id token for {audience})",
            clock=clock,
            poll_s=options.poll_s,
        )
