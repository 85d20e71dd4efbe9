"""What the fake issuers have handed out, and the checks the fake targets make with it.

Every credential the router may present was minted here: AWS access keys (the router's own
identity, or STS web-identity sessions), Entra tokens, Google access and ID tokens, API
keys. A fake target accepts a request only with a credential of the right kind, for the
right audience/scope/role, unexpired, and (SigV4) a signature that botocore recomputes to
the same value from the request as received."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from inferplane.smoke.server import Call

__all__ = ["AwsKey", "Book", "Token", "verify_sigv4"]

TOKEN_TTL_S = 3600
ISSUERS = {
    "azure": "https://sts.windows.net/smoke-tenant/",
    "google_access": "https://accounts.google.com",
    "google_id": "https://accounts.google.com",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64(document: dict[str, object]) -> str:
    return _b64url(json.dumps(document, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Token:
    """A bearer token: ``kind`` is azure, google_access or google_id."""

    kind: str
    audience: str
    """azure: the resource (scope without ``/.default``); google_id: the audience."""
    client_id: str | None = None
    expires: float = 0.0


@dataclass(frozen=True)
class AwsKey:
    secret: str
    session_token: str | None = None
    role_arn: str | None = None
    """The role an STS session was issued for; None for the router's own identity."""


@dataclass
class Book:
    """Thread-safe register of minted credentials."""

    tokens: dict[str, Token] = field(default_factory=dict)
    aws: dict[str, AwsKey] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    """``store:name[:key]`` of a SecretRef -> the key value the harness provisioned."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Secrets Manager secret name -> SecretString."""
    tenants: dict[str, str] = field(default_factory=dict)
    """Entra token -> the tenant it was issued in (federated tokens only)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mint(self, kind: str, audience: str, client_id: str | None = None) -> str:
        """A JWT-shaped token (the clients read ``exp`` from ID tokens); its signature is
        random: only this book can tell it was issued."""
        now = int(time.time())
        claims = {
            "iss": ISSUERS[kind],
            "aud": audience,
            "sub": client_id or "smoke-router",
            "iat": now,
            "exp": now + TOKEN_TTL_S,
            "jti": secrets.token_hex(8),
        }
        token = ".".join(
            [
                _b64({"alg": "RS256", "typ": "JWT", "kid": "smoke"}),
                _b64(claims),
                _b64url(secrets.token_bytes(32)),
            ]
        )
        with self._lock:
            self.tokens[token] = Token(kind, audience, client_id, now + TOKEN_TTL_S)
        return token

    def aws_key(self, role_arn: str | None = None, session: bool = False) -> tuple[str, AwsKey]:
        key_id = ("ASIA" if session else "AKIA") + secrets.token_hex(8).upper()
        key = AwsKey(
            secrets.token_urlsafe(30), secrets.token_urlsafe(40) if session else None, role_arn
        )
        with self._lock:
            self.aws[key_id] = key
        return key_id, key

    def bearer(
        self, call: Call, kind: str, audience: str, client_id: str | None = None
    ) -> str | None:
        """None when ``call`` carries a valid bearer token of ``kind`` for ``audience``,
        else why not."""
        header = call.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return "no Authorization: Bearer token"
        token = self.tokens.get(header.removeprefix("Bearer "))
        if token is None:
            return "the bearer token was not issued by the fake issuer"
        if token.kind != kind:
            return f"a {token.kind} token where a {kind} token is required"
        if token.audience != audience:
            return f"token for {token.audience!r}, the target is {audience!r}"
        if client_id is not None and token.client_id != client_id:
            return f"token of identity {token.client_id!r}, the target wants {client_id!r}"
        if token.expires < time.time():
            return "the token has expired"
        return None


_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


def verify_sigv4(
    book: Book, call: Call, host_url: str, *, service: str, region: str | None, role_arn: str | None
) -> str | None:
    """None when ``call`` is SigV4-signed for ``service``/``region`` by a key in ``book``
    (an STS session of ``role_arn`` when given), else why not. ``host_url`` is
    ``http://host:port`` the call was sent to."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _AUTHORIZATION.fullmatch(call.headers.get("authorization", ""))
    if match is None:
        return "no SigV4 Authorization header"
    if match["service"] != service:
        return f"signed for service {match['service']!r}, the target is {service!r}"
    if region is not None and match["region"] != region:
        return f"signed for region {match['region']!r}, the target is in {region!r}"
    key = book.aws.get(match["key"])
    if key is None:
        return f"access key {match['key']} was not issued by the fake"
    if role_arn is not None and key.role_arn != role_arn:
        return f"credentials of role {key.role_arn!r}, the target trusts {role_arn!r}"
    if (
        key.session_token is not None
        and call.headers.get("x-amz-security-token") != key.session_token
    ):
        return "the session token does not belong to the access key"
    stamp = call.headers.get("x-amz-date", "")
    if not stamp.startswith(match["date"]):
        return "X-Amz-Date is missing or not the credential scope's date"
    sha = call.headers.get("x-amz-content-sha256")
    if sha is not None and sha not in (hashlib.sha256(call.body).hexdigest(), "UNSIGNED-PAYLOAD"):
        return "X-Amz-Content-SHA256 is not the body's hash"
    signed = match["signed"].split(";")
    missing = [name for name in signed if name not in call.headers]
    if missing or "host" not in signed:
        return f"signed headers missing from the request: {missing or ['host']}"
    request = AWSRequest(
        method=call.method,
        url=host_url + call.target,
        data=call.body,
        headers={name: call.headers[name] for name in signed},
    )
    request.context["timestamp"] = stamp
    signer = SigV4Auth(
        Credentials(match["key"], key.secret, key.session_token), service, match["region"]
    )
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, match["signature"]):
        return "the SigV4 signature does not match the request"
    return None
