"""Loopback fakes of the clouds' token issuers, and an upstream that checks what they mint.

Each fake enforces what the real service enforces, so a router that talks to them the wrong
way fails here the way it would fail in the cloud:

- ``GceMetadata``: the GCE metadata server (``GCE_METADATA_HOST``); refuses a request
  without ``Metadata-Flavor: Google``; mints access tokens and signed, expiring ID tokens.
- ``ManagedIdentity``: Azure's ``IDENTITY_ENDPOINT`` protocol (App Service / Container
  Apps, api-version 2019-08-01, ``X-IDENTITY-HEADER``) and IMDS (``Metadata: true``).
- ``EntraTokenEndpoint``: ``{AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token``, client
  credentials with a Google ID token as client assertion (federated identity credential).
- ``Sts``: ``AssumeRoleWithWebIdentity`` (``AWS_ENDPOINT_URL_STS``) with a Google ID token.
- ``AuthenticatedUpstream``: an OpenAI / Vertex / Bedrock Converse upstream that answers 401
  without credentials and 403 for wrong or expired ones; SigV4 is verified with botocore.

All share one ``Cloud`` (its clock and the credentials it has issued). Servers are stdlib
threads, so an out-of-process router (the packaged one, ``router smoke``) can use them too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from inferplane.smoke.server import Call, LoopbackServer
from inferplane.smoke.server import Reply as ServerReply

__all__ = [
    "ANSWER",
    "AuthenticatedUpstream",
    "Clock",
    "Cloud",
    "EntraTokenEndpoint",
    "GceMetadata",
    "HttpCall",
    "KeyVault",
    "ManagedIdentity",
    "SecretManager",
    "Sts",
    "bearer_check",
    "private_ca",
    "sigv4_check",
]

ANSWER = "hello from an authenticated upstream"
SERVICE_ACCOUNT_ID = "104729000000000000001"
"""The ``sub``/``azp`` of the fake service account's ID tokens."""


class Clock:
    """Wall time plus an offset a test moves forward; shared by the fakes and the router."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Cloud:
    """What the issuers have handed out, and when it expires."""

    clock: Clock = field(default_factory=Clock)
    bearer: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Opaque bearer token -> (audience/resource, expires_at)."""
    aws_keys: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)
    """Access key ID -> (secret, session token, expires_at); static keys never expire."""
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def issue_bearer(self, audience: str, lifetime_s: float) -> tuple[str, float]:
        token = "tok-" + secrets.token_urlsafe(16)
        expires = self.clock() + lifetime_s
        self.bearer[token] = (audience, expires)
        return token, expires

    def issue_id_token(self, audience: str, lifetime_s: float) -> str:
        now = self.clock()
        claims = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "azp": SERVICE_ACCOUNT_ID,
            "sub": SERVICE_ACCOUNT_ID,
            "iat": int(now),
            "exp": int(now + lifetime_s),
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = hmac.new(self.signing_key, f"{head}.{body}".encode(), hashlib.sha256)
        return f"{head}.{body}.{_b64(signature.digest())}"

    def id_token_problem(self, token: str, audience: str) -> str | None:
        """Why a Google ID token is not acceptable for ``audience`` (None: it is)."""
        try:
            head, body, signature = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return "not a JWT"
        expected = hmac.new(self.signing_key, f"{head}.{body}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(expected.digest()), signature):
            return "bad signature"
        if claims.get("aud") != audience:
            return f"audience {claims.get('aud')!r} is not {audience!r}"
        if self.clock() >= claims.get("exp", 0):
            return "expired"
        return None

    def bearer_problem(self, token: str, audience: str) -> str | None:
        found = self.bearer.get(token)
        if found is None:
            return "unknown token"
        if found[0] != audience:
            return f"token is for {found[0]!r}, not {audience!r}"
        if self.clock() >= found[1]:
            return "expired"
        return None

    def issue_aws_keys(self, lifetime_s: float) -> tuple[str, str, str, float]:
        access = "ASIA" + secrets.token_hex(8).upper()
        secret, session = secrets.token_urlsafe(30), secrets.token_urlsafe(40)
        expires = self.clock() + lifetime_s
        self.aws_keys[access] = (secret, session, expires)
        return access, secret, session, expires

    def add_static_aws_keys(self, access: str, secret: str) -> None:
        self.aws_keys[access] = (secret, None, float("inf"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class HttpCall:
    method: str
    path: str
    query: dict[str, str]
    headers: Message[str, str] | Mapping[str, str]
    """As received (a Message: lookups ignore case, as HTTP header names do)."""
    body: bytes
    url: str


Reply = tuple[int, dict[str, str], bytes]


def _json(status: int, body: Any) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


class _Server(LoopbackServer):
    """A ``LoopbackServer`` started at once; ``handle`` answers a call. With ``tls`` it
    serves HTTPS (an edge site behind its own CA)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.calls: list[HttpCall] = []
        self.fail = False
        """While true, every call answers 503 (the issuer is down)."""
        super().__init__(self._answer, tls)
        self.start()

    def _answer(self, received: Call) -> ServerReply:
        path, _, raw_query = received.target.partition("?")
        query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        headers: Message[str, str] = Message()
        for name, value in received.headers.items():
            headers[name] = value
        url = f"http://{received.headers.get('host', '')}{received.target}"
        call = HttpCall(received.method, path, query, headers, received.body, url)
        self.calls.append(call)
        if self.fail:
            status, fields, payload = _json(503, {"error": "issuer unavailable"})
        else:
            status, fields, payload = self.handle(call)
        others = dict(fields)  # the handlers name it in lower case
        content_type = others.pop("content-type", "application/octet-stream")
        return ServerReply(status, content_type, payload, others)

    def count(self, path_part: str) -> int:
        return sum(1 for call in self.calls if path_part in call.path)

    def handle(self, call: HttpCall) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        self.stop()


class GceMetadata(_Server):
    """``GCE_METADATA_HOST=<.host>``; tokens live ``lifetime_s`` on the cloud's clock."""

    PREFIX = "/computeMetadata/v1/instance/service-accounts/default/"

    def __init__(self, cloud: Cloud, lifetime_s: float = 3600) -> None:
        self.cloud = cloud
        self.lifetime_s = lifetime_s
        super().__init__()

    def handle(self, call: HttpCall) -> Reply:
        # The real server refuses requests without the header (and proxied ones).
        if call.headers.get("Metadata-Flavor") != "Google" or "X-Forwarded-For" in call.headers:
            return 403, {"content-type": "text/plain"}, b"Missing Metadata-Flavor:Google header"
        if call.path == self.PREFIX + "token":
            token, _ = self.cloud.issue_bearer("google", self.lifetime_s)
            reply = {"access_token": token, "expires_in": int(self.lifetime_s)}
            return _json(200, {**reply, "token_type": "Bearer"})
        if call.path == self.PREFIX + "identity":
            audience = call.query.get("audience")
            if not audience:
                return 400, {}, b"non-empty audience parameter required"
            token = self.cloud.issue_id_token(audience, self.lifetime_s)
            return 200, {"content-type": "text/html"}, token.encode()
        return 404, {}, b"not found"


class ManagedIdentity(_Server):
    """``IDENTITY_ENDPOINT=<.endpoint>`` + ``IDENTITY_HEADER=<.secret>``; also IMDS at
    ``AZURE_POD_IDENTITY_AUTHORITY_HOST=<.url>``. Tokens carry ``expires_on``."""

    def __init__(self, cloud: Cloud, lifetime_s: float = 3600, client_id: str | None = None):
        self.cloud = cloud
        self.lifetime_s = lifetime_s
        self.client_id = client_id
        """When set, only this user-assigned identity exists (others: 400, as in Azure)."""
        self.secret = secrets.token_hex(16)
        super().__init__()

    @property
    def endpoint(self) -> str:
        return self.url + "/msi/token"

    def handle(self, call: HttpCall) -> Reply:
        if call.path == "/msi/token":
            if call.headers.get("X-IDENTITY-HEADER") != self.secret:
                return _json(401, {"error": "invalid X-IDENTITY-HEADER"})
            if call.query.get("api-version") != "2019-08-01":
                return _json(400, {"error": "unsupported api-version"})
        elif call.path == "/metadata/identity/oauth2/token":
            if call.headers.get("Metadata") != "true":
                return _json(400, {"error": "Required metadata header not specified"})
        else:
            return 404, {}, b"not found"
        resource = call.query.get("resource")
        if not resource or resource.endswith("/.default"):
            return _json(400, {"error": "invalid resource"})
        if self.client_id is not None and call.query.get("client_id") != self.client_id:
            return _json(400, {"error": "identity not found"})
        token, expires = self.cloud.issue_bearer(resource, self.lifetime_s)
        reply = {"access_token": token, "expires_on": str(int(expires)), "resource": resource}
        return _json(200, {**reply, "token_type": "Bearer"})


class EntraTokenEndpoint(_Server):
    """``AZURE_AUTHORITY_HOST=<.url>``: a federated identity credential for ``client_id``
    in ``tenant_id`` that trusts Google ID tokens with audience api://AzureADTokenExchange."""

    def __init__(self, cloud: Cloud, tenant_id: str, client_id: str, lifetime_s: float = 3600):
        self.cloud = cloud
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.lifetime_s = lifetime_s
        super().__init__()

    def handle(self, call: HttpCall) -> Reply:
        if call.method != "POST" or call.path != f"/{self.tenant_id}/oauth2/v2.0/token":
            return _json(404, {"error": "invalid_tenant"})
        form = dict(urllib.parse.parse_qsl(call.body.decode()))
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return _json(400, {"error": "invalid_request"})
        if form.get("client_id") != self.client_id:
            return _json(400, {"error": "unauthorized_client"})
        problem = self.cloud.id_token_problem(
            form.get("client_assertion", ""), "api://AzureADTokenExchange"
        )
        if problem is not None:
            return _json(401, {"error": "invalid_client", "error_description": problem})
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return _json(400, {"error": "invalid_scope"})
        token, _ = self.cloud.issue_bearer(scope.removesuffix("/.default"), self.lifetime_s)
        reply = {"access_token": token, "expires_in": int(self.lifetime_s)}
        return _json(200, {**reply, "token_type": "Bearer"})


class Sts(_Server):
    """``AWS_ENDPOINT_URL_STS=<.url>``: a role that trusts Google ID tokens for ``audience``."""

    def __init__(
        self,
        cloud: Cloud,
        role_arn: str,
        audience: str = "sts.amazonaws.com",
        lifetime_s: float = 3600.0,
    ) -> None:
        self.cloud = cloud
        self.role_arn = role_arn
        self.audience = audience
        self.lifetime_s = lifetime_s
        super().__init__()

    def handle(self, call: HttpCall) -> Reply:
        form = dict(urllib.parse.parse_qsl(call.body.decode()))
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != (
            "2011-06-15"
        ):
            return self._error(400, "InvalidAction")
        if form.get("RoleArn") != self.role_arn:
            return self._error(403, "AccessDenied")
        if not form.get("RoleSessionName"):
            return self._error(400, "ValidationError")
        problem = self.cloud.id_token_problem(form.get("WebIdentityToken", ""), self.audience)
        if problem is not None:
            return self._error(400, "InvalidIdentityToken")
        access, secret, session, expires = self.cloud.issue_aws_keys(self.lifetime_s)
        stamp = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        xml = (
            '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<AssumeRoleWithWebIdentityResult><Credentials>"
            f"<AccessKeyId>{access}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{session}</SessionToken><Expiration>{stamp}</Expiration>"
            "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
        )
        return 200, {"content-type": "text/xml"}, xml.encode()

    def _error(self, status: int, code: str) -> Reply:
        body = f"<ErrorResponse><Error><Code>{code}</Code></Error></ErrorResponse>"
        return status, {"content-type": "text/xml"}, body.encode()


Check = Callable[[HttpCall], tuple[int, str] | None]
"""An upstream's auth check: None to accept, or (401/403, why) to refuse."""


def bearer_check(cloud: Cloud, audience: str, *, id_token: bool = False) -> Check:
    """Accept ``Authorization: Bearer`` tokens the cloud issued for ``audience``."""

    def check(call: HttpCall) -> tuple[int, str] | None:
        header = call.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return 401, "missing bearer token"
        token = header[7:]
        if id_token:
            problem = cloud.id_token_problem(token, audience)
        else:
            problem = cloud.bearer_problem(token, audience)
        return None if problem is None else (403, problem)

    return check


_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>\w+)"
)


def sigv4_check(cloud: Cloud, service: str, region: str) -> Check:
    """Verify AWS Signature V4 like AWS does: recompute it with botocore from the received
    request and the secret of the access key, and compare; the session token must match
    and the keys must not have expired."""

    def check(call: HttpCall) -> tuple[int, str] | None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import ReadOnlyCredentials

        received = {name.lower(): value for name, value in call.headers.items()}
        found = _AUTH.fullmatch(received.get("authorization", ""))
        if found is None:
            return 403, "missing or malformed SigV4 Authorization"
        if (found["service"], found["region"]) != (service, region):
            return 403, f"signed for {found['service']}/{found['region']}"
        keys = cloud.aws_keys.get(found["key"])
        if keys is None:
            return 403, "UnrecognizedClientException"
        secret, session, expires = keys
        if cloud.clock() >= expires:
            return 403, "ExpiredTokenException"
        if session is not None and received.get("x-amz-security-token") != session:
            return 403, "session token mismatch"
        headers = {name: received[name] for name in found["signed"].split(";") if name in received}
        request = AWSRequest(method=call.method, url=call.url, data=call.body, headers=headers)
        request.context["timestamp"] = received.get("x-amz-date", "")
        signer = SigV4Auth(ReadOnlyCredentials(found["key"], secret, session), service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, found["sig"]):
            return 403, "SignatureDoesNotMatch"
        return None

    return check


class AuthenticatedUpstream(_Server):
    """A model endpoint behind ``check``: OpenAI chat (``.../chat/completions``, JSON and
    SSE), Vertex ``:generateContent``, Bedrock ``/model/<id>/converse`` and SageMaker
    ``/endpoints/<name>/invocations``."""

    def __init__(self, check: Check, tls: ssl.SSLContext | None = None) -> None:
        self.check = check
        self.refusals: list[tuple[int, str]] = []
        super().__init__(tls)

    @property
    def accepted(self) -> int:
        return len(self.calls) - len(self.refusals)

    def handle(self, call: HttpCall) -> Reply:
        refused = self.check(call)
        if refused is not None:
            self.refusals.append(refused)
            return _json(refused[0], {"error": {"message": refused[1], "code": refused[0]}})
        body = json.loads(call.body or b"{}")
        if call.path.endswith("/chat/completions"):
            if body.get("stream"):
                return self._sse(body)
            return _json(200, _chat_completion(body.get("model", "m")))
        if call.path.endswith(":generateContent"):
            return _json(200, _gemini())
        if call.path.startswith("/model/") and call.path.endswith("/converse"):
            return _json(200, _converse())
        if call.path.startswith("/endpoints/") and call.path.endswith("/invocations"):
            return _json(200, _chat_completion(body.get("model", "m")))  # SageMaker (LMI)
        return _json(404, {"error": {"message": f"no route {call.path}"}})

    def _sse(self, body: dict[str, Any]) -> Reply:
        chunk = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": body.get("model", "m"),
            "choices": [{"index": 0, "delta": {"content": ANSWER}}],
        }
        usage = {**chunk, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}
        payload = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n"
        return 200, {"content-type": "text/event-stream"}, payload.encode()


def _chat_completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-auth",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
    }


def _gemini() -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": ANSWER}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 5},
    }


def _converse() -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8},
        "metrics": {"latencyMs": 1},
    }


class SecretManager(_Server):
    """``INFERPLANE_SECRETMANAGER_URL=<.url>``: GCP Secret Manager's ``versions/*:access``
    for ``secrets`` (name -> value), behind a Google access token from the metadata fake."""

    def __init__(self, cloud: Cloud, secrets_by_name: Mapping[str, str]) -> None:
        self.check = bearer_check(cloud, "google")
        self.secrets = dict(secrets_by_name)
        super().__init__()

    def handle(self, call: HttpCall) -> Reply:
        refused = self.check(call)
        if refused is not None:
            return _json(refused[0], {"error": {"code": refused[0], "message": refused[1]}})
        found = re.fullmatch(r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/[^/]+:access", call.path)
        if found is None or found[1] not in self.secrets:
            return _json(404, {"error": {"code": 404, "message": "secret not found"}})
        data = base64.b64encode(self.secrets[found[1]].encode()).decode()
        return _json(200, {"name": call.path[4:], "payload": {"data": data}})


class KeyVault(_Server):
    """``INFERPLANE_KEYVAULT_URL=<.url>/{vault}``: Key Vault's ``GET /secrets/{name}``
    (api-version 7.4) behind an Entra token for https://vault.azure.net."""

    def __init__(self, cloud: Cloud, secrets_by_name: Mapping[str, str]) -> None:
        """``secrets_by_name``: ``VAULT/SECRET`` -> value."""
        self.check = bearer_check(cloud, "https://vault.azure.net")
        self.secrets = dict(secrets_by_name)
        super().__init__()

    def handle(self, call: HttpCall) -> Reply:
        if call.query.get("api-version") != "7.4":
            return _json(400, {"error": {"code": "BadParameter"}})
        refused = self.check(call)
        if refused is not None:
            return _json(refused[0], {"error": {"code": "Unauthorized", "message": refused[1]}})
        found = re.fullmatch(r"/([^/]+)/secrets/([^/]+)(?:/[^/]+)?", call.path)
        key = f"{found[1]}/{found[2]}" if found else ""
        if key not in self.secrets:
            return _json(404, {"error": {"code": "SecretNotFound"}})
        return _json(200, {"value": self.secrets[key], "id": call.url})


def private_ca() -> tuple[str, ssl.SSLContext]:
    """A site's own CA (PEM) and a server context for 127.0.0.1 with a certificate it signed
    (``cryptography`` is in requirements.lock)."""
    import datetime as dt
    import ipaddress
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(UTC)
    ca_key, site_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge site CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    site = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(site_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = f"{folder}/site.pem", f"{folder}/site.key"
        with open(cert_file, "wb") as handle:
            handle.write(site.public_bytes(pem))
        with open(key_file, "wb") as handle:
            handle.write(
                site_key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert_file, key_file)
    return ca.public_bytes(pem).decode(), server
