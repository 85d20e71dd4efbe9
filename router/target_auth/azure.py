"""Azure Entra tokens (``azure_entra``): managed identity, or a Google-federated identity.

Managed identity follows azure-identity's discovery: the App Service / Container Apps
protocol when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are set (api-version
2019-08-01), else IMDS at 169.254.169.254 (``AZURE_POD_IDENTITY_AUTHORITY_HOST`` overrides
it, as in azure-identity). With ``federation: google`` the router's Google ID token
(audience ``api://AzureADTokenExchange``) is the client assertion of a client-credentials
grant at ``{AZURE_AUTHORITY_HOST}/{tenant_id}/oauth2/v2.0/token``.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable
from typing import Any

from ..config import TargetConfig
from .fetch import IssuerError, get_json, post_form
from .google import mint_id_token
from .options import CredentialOptions
from .tokens import CachedBearer, Token, TokenCache

__all__ = ["AzureEntra", "mint_federated_token", "mint_managed_identity_token", "resource_of"]

IMDS_HOST = "http://169.254.169.254"
AUTHORITY_HOST = "https://login.microsoftonline.com"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def resource_of(scope: str) -> str:
    """Managed identity endpoints take a resource, not a v2 scope."""
    return scope.removesuffix("/.default")


def mint_managed_identity_token(
    scope: str, client_id: str | None, clock: Callable[[], float]
) -> Token[str]:
    now = clock()
    query = {"resource": resource_of(scope)}
    if client_id:
        query["client_id"] = client_id
    endpoint = os.environ.get("IDENTITY_ENDPOINT")
    secret = os.environ.get("IDENTITY_HEADER")
    if endpoint and secret:
        url = endpoint + "?" + urllib.parse.urlencode({"api-version": "2019-08-01", **query})
        answer = get_json(url, {"X-IDENTITY-HEADER": secret}, direct=True)
    else:
        host = os.environ.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") or IMDS_HOST
        query = {"api-version": "2018-02-01", **query}
        url = host.rstrip("/") + "/metadata/identity/oauth2/token?" + urllib.parse.urlencode(query)
        answer = get_json(url, {"Metadata": "true"}, direct=True)
    return _token(answer, now, "managed identity")


def mint_federated_token(
    scope: str, client_id: str, tenant_id: str, clock: Callable[[], float]
) -> Token[str]:
    assertion = mint_id_token(EXCHANGE_AUDIENCE, clock).value
    now = clock()
    authority = (os.environ.get("AZURE_AUTHORITY_HOST") or AUTHORITY_HOST).rstrip("/")
    form = {
        "client_id": client_id,
        "scope": scope,
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    raw = post_form(f"{authority}/{tenant_id}/oauth2/v2.0/token", form)
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise IssuerError("the Entra token endpoint answered invalid JSON") from exc
    return _token(answer, now, "Entra token exchange")


def _token(answer: Any, now: float, issuer: str) -> Token[str]:
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise IssuerError(f"the {issuer} answer has no access_token")
    try:
        if answer.get("expires_on") is not None:  # epoch seconds, often as a string
            expires = float(answer["expires_on"])
        else:
            expires = now + float(answer["expires_in"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IssuerError(f"the {issuer} answer has no usable expiry") from exc
    if expires <= now:
        raise IssuerError(f"the {issuer} answered an already expired token")
    return Token(answer["access_token"], expires, now)


class AzureEntra(CachedBearer):
    scheme = "azure_entra"

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        auth = target.auth
        scope = auth.scope
        assert scope is not None  # TargetAuth requires it for this scheme
        clock = options.clock
        mint: Callable[[], Token[str]]
        if auth.federation == "google":
            client_id, tenant_id = auth.client_id, auth.tenant_id
            assert client_id is not None
            assert tenant_id is not None
            mint = lambda: mint_federated_token(scope, client_id, tenant_id, clock)  # noqa: E731
        else:
            client_id_or_none = auth.client_id
            mint = lambda: mint_managed_identity_token(scope, client_id_or_none, clock)  # noqa: E731
        what = f"target {name!r} (entra token for {scope})"
        self.cache = TokenCache(mint, what=what, clock=clock, poll_s=options.poll_s)
