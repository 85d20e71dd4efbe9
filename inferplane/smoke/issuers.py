"""Fake credential issuers on one loopback server, each speaking its real protocol and
strict about it (wrong header, unknown identity, foreign assertion: refused):

    Azure managed identity   GET  /msi/token?resource=&api-version=[&client_id=]
                             (IDENTITY_ENDPOINT + IDENTITY_HEADER, App Service protocol)
    GCE metadata server      GET  /computeMetadata/v1/instance/service-accounts/default/
                             token | identity?audience= (GCE_METADATA_HOST), Metadata-Flavor
    AWS STS                  POST / Action=AssumeRoleWithWebIdentity (AWS_ENDPOINT_URL_STS)
    Entra token endpoint     POST /<tenant>/oauth2/v2.0/token, client-assertion grant
                             (AZURE_AUTHORITY_HOST)
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from inferplane.smoke.credentials import TOKEN_TTL_S, Book
from inferplane.smoke.server import Call, Reply

__all__ = ["AZURE_EXCHANGE_AUDIENCE", "Issuers"]

AZURE_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
_METADATA = "/computeMetadata/v1/"
_SA = _METADATA + "instance/service-accounts/default/"


@dataclass
class Issuers:
    """The issuers' request handler; ``book`` records what they mint."""

    book: Book
    identity_header: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    service_account: str = "router@smoke-project.iam.gserviceaccount.com"
    refused: list[str] = field(default_factory=list)
    """Why each refused request was refused (for the report)."""

    def env(self, base_url: str) -> dict[str, str]:
        """The run-time environment that points the router's providers here."""
        return {
            "IDENTITY_ENDPOINT": base_url + "/msi/token",
            "IDENTITY_HEADER": self.identity_header,
            "GCE_METADATA_HOST": urlsplit(base_url).netloc,
            "GCE_METADATA_IP": urlsplit(base_url).netloc,
            "AWS_ENDPOINT_URL_STS": base_url,
            "AZURE_AUTHORITY_HOST": base_url,
        }

    def __call__(self, call: Call) -> Reply:
        path = urlsplit(call.target).path
        if path == "/msi/token":
            return self._managed_identity(call)
        if path.startswith(_METADATA) or (path in ("", "/") and call.method == "GET"):
            return self._metadata(call, path)
        if path == "/" and call.method == "POST":
            return self._sts(call)
        if path.endswith("/oauth2/v2.0/token"):
            return self._entra(call, path.split("/")[1])
        return self._refuse(404, f"no issuer at {call.method} {path}")

    def _refuse(self, status: int, reason: str) -> Reply:
        self.refused.append(reason)
        return Reply(status, "application/json", json.dumps({"error": reason}).encode())

    def _managed_identity(self, call: Call) -> Reply:
        if call.headers.get("x-identity-header") != self.identity_header:
            return self._refuse(401, "managed identity: missing or wrong X-IDENTITY-HEADER")
        query = call.query
        resource = query.get("resource", [""])[0]
        if not resource or not query.get("api-version"):
            return self._refuse(400, "managed identity: resource and api-version are required")
        client_id = query.get("client_id", [None])[0]
        token = self.book.mint("azure", resource.removesuffix("/.default"), client_id)
        body = {
            "access_token": token,
            "expires_on": str(int(time.time()) + TOKEN_TTL_S),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id or "smoke-system-assigned",
        }
        return Reply(200, "application/json", json.dumps(body).encode())

    def _metadata(self, call: Call, path: str) -> Reply:
        if call.headers.get("metadata-flavor") != "Google":
            return self._refuse(403, "metadata server: missing Metadata-Flavor: Google")
        query = call.query
        if path == _SA + "token":
            token = self.book.mint("google_access", "cloud-platform")
            body = {"access_token": token, "expires_in": TOKEN_TTL_S - 1, "token_type": "Bearer"}
            return Reply(200, "application/json", json.dumps(body).encode())
        if path == _SA + "identity":
            audience = query.get("audience", [""])[0]
            if not audience:
                return self._refuse(400, "metadata server: identity needs ?audience=")
            return Reply(200, "text/plain", self.book.mint("google_id", audience).encode())
        if path == _SA + "email":
            return Reply(200, "text/plain", self.service_account.encode())
        if path == _SA:
            body = {"email": self.service_account, "aliases": ["default"], "scopes": []}
            return Reply(200, "application/json", json.dumps(body).encode())
        if path == _METADATA + "project/project-id":
            return Reply(200, "text/plain", b"smoke-project")
        if path in ("", "/", _METADATA):
            return Reply(200, "text/plain", b"")
        return self._refuse(404, f"metadata server: no {path}")

    def _sts(self, call: Call) -> Reply:
        form = {k: v[0] for k, v in parse_qs(call.body.decode()).items()}
        if form.get("Action") != "AssumeRoleWithWebIdentity":
            return self._refuse(400, f"STS: action {form.get('Action')!r} is not served")
        role_arn = form.get("RoleArn", "")
        reason = _google_id_token(self.book, form.get("WebIdentityToken", ""), None)
        if reason or not role_arn.startswith("arn:aws:iam::"):
            return self._refuse(403, f"STS: {reason or 'RoleArn is not an IAM role ARN'}")
        key_id, key = self.book.aws_key(role_arn, session=True)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + TOKEN_TTL_S))
        xml = (
            '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<AssumeRoleWithWebIdentityResult><Credentials>"
            f"<AccessKeyId>{key_id}</AccessKeyId>"
            f"<SecretAccessKey>{escape(key.secret)}</SecretAccessKey>"
            f"<SessionToken>{escape(key.session_token or '')}</SessionToken>"
            f"<Expiration>{expires}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>{escape(role_arn)}/smoke</Arn>"
            "<AssumedRoleId>AROASMOKE:smoke</AssumedRoleId></AssumedRoleUser>"
            f"<SubjectFromWebIdentityToken>{escape(self.service_account)}"
            "</SubjectFromWebIdentityToken>"
            "</AssumeRoleWithWebIdentityResult>"
            "<ResponseMetadata><RequestId>smoke</RequestId></ResponseMetadata>"
            "</AssumeRoleWithWebIdentityResponse>"
        )
        return Reply(200, "text/xml", xml.encode())

    def _entra(self, call: Call, tenant: str) -> Reply:
        form = {k: v[0] for k, v in parse_qs(call.body.decode()).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return self._refuse(400, "Entra: only the client-assertion grant is served")
        reason = _google_id_token(
            self.book, form.get("client_assertion", ""), AZURE_EXCHANGE_AUDIENCE
        )
        scope, client_id = form.get("scope", ""), form.get("client_id", "")
        if reason or not scope.endswith("/.default") or not client_id:
            return self._refuse(
                401, f"Entra: {reason or 'scope must end in /.default and client_id is required'}"
            )
        token = self.book.mint("azure", scope.removesuffix("/.default"), client_id)
        self.book.tenants[token] = tenant
        body = {"token_type": "Bearer", "expires_in": TOKEN_TTL_S - 1, "access_token": token}
        return Reply(200, "application/json", json.dumps(body).encode())


def _google_id_token(book: Book, token: str, audience: str | None) -> str | None:
    minted = book.tokens.get(token)
    if minted is None or minted.kind != "google_id":
        return "the assertion is not a Google ID token from the metadata server"
    if audience is not None and minted.audience != audience:
        return f"the ID token's audience is {minted.audience!r}, not {audience!r}"
    if minted.expires < time.time():
        return "the ID token has expired"
    return None
