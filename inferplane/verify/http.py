"""HTTP requests to the router, optionally SigV4-signed for a Lambda function URL."""

from __future__ import annotations

from typing import Any

import httpx

from inferplane.preflight.aws import AwsClients
from inferplane.preflight.context import Subject
from inferplane.preflight.result import CheckResult
from inferplane.verify.context import RouterAccess, VerifyContext

__all__ = ["is_router", "plain_http_refusal", "router_call", "router_request"]


def is_router(ctx: VerifyContext, subject: Subject) -> bool:
    """``applies`` of the checks that talk to the router itself."""
    return subject.name == "router" and subject.target is None


def router_call(
    check: str, ctx: VerifyContext, method: str, path: str, body: bytes | None = None
) -> tuple[str, httpx.Response] | CheckResult:
    """The URL and the router's 200 response to ``method path``, or ``check``'s result
    saying why there is none (no router URL in the outputs, no connection, not 200)."""
    base = ctx.outputs.router_url
    if base is None:
        return CheckResult(check, "router", "could-not-check", "the outputs have no router_url")
    url = base.rstrip("/") + path
    refusal = plain_http_refusal(url, ctx.router)
    if refusal is not None:
        return CheckResult(check, "router", "fail", refusal)
    try:
        response = router_request(method, url, ctx.router, ctx.clients, body)
    except httpx.HTTPError as exc:
        return CheckResult(check, "router", "fail", f"{method} {url}: {type(exc).__name__}: {exc}")
    if response.status_code != 200:
        reason = f"{method} {url}: {response.status_code} {response.text[:200]}"
        return CheckResult(check, "router", "fail", reason)
    return url, response


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def plain_http_refusal(url: str, access: RouterAccess) -> str | None:
    """Why the API key must not be sent to ``url``: keys travel over TLS only (loopback,
    where nothing is on the wire, excepted)."""
    parsed = httpx.URL(url)
    if not access.api_key or parsed.scheme == "https" or parsed.host in _LOOPBACK:
        return None
    return (
        f"refusing to send the API key to {url} over plain HTTP: the router must be reached "
        "over https (or on loopback)"
    )


def router_request(
    method: str,
    url: str,
    access: RouterAccess,
    clients: AwsClients,
    body: bytes | None = None,
) -> httpx.Response:
    refusal = plain_http_refusal(url, access)
    if refusal is not None:
        raise httpx.UnsupportedProtocol(refusal)
    headers: dict[str, str] = {"accept": "application/json"}
    if body is not None:
        headers["content-type"] = "application/json"
    if access.sign_region is not None:
        if access.api_key:
            headers["api-key"] = access.api_key
        headers.update(
            _sigv4(
                method, url, headers=headers, body=body, region=access.sign_region, clients=clients
            )
        )
    elif access.api_key:
        headers["authorization"] = f"Bearer {access.api_key}"
    with httpx.Client(timeout=access.timeout_s) as client:
        return client.request(method, url, headers=headers, content=body)


def _sigv4(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    region: str,
    clients: AwsClients,
) -> dict[str, str]:
    """Headers that sign the request for ``lambda`` (function URLs with AWS_IAM auth)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from inferplane.errors import CredentialsMissingError
    from inferplane.preflight.aws import CREDENTIALS_HINT

    credentials: Any = clients.session.get_credentials()
    if credentials is None:
        raise CredentialsMissingError(f"{CREDENTIALS_HINT} (needed to sign router requests)")
    request = AWSRequest(method=method, url=url, data=body or b"", headers=dict(headers))
    SigV4Auth(credentials.get_frozen_credentials(), "lambda", region).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}
