"""Fake targets: each answers only its own operations in its service's wire protocol, only
with the credential its ``TargetAuth`` names, and records what it received (the smoke id
in the prompt says which route and data class sent it).

URL targets get a server each; the AWS APIs (Bedrock runtime, SageMaker runtime, Secrets
Manager) share one server, which tells targets apart by model ID / endpoint name, as the
real endpoints do."""

from __future__ import annotations

import hmac
import json
import re
import threading
from dataclasses import dataclass, field

from inferplane.router.config import SecretRef, TargetConfig
from inferplane.smoke.credentials import Book, verify_sigv4
from inferplane.smoke.server import Call, Reply
from inferplane.smoke.wire import operation, reply

__all__ = [
    "SMOKE_ID",
    "AwsApis",
    "Received",
    "Recorder",
    "TargetFake",
    "aws_error",
    "check_auth",
    "secret_id",
    "smoke_id",
]

SMOKE_ID = re.compile(rb"smoke-[0-9a-f]{12}")


@dataclass(frozen=True)
class Received:
    """One request that reached a fake target."""

    target: str | None
    """The target it was addressed to (None: no target of that fake takes it)."""
    operation: str
    smoke_id: str | None
    refused: str | None
    """Why the fake refused it (auth, wire), or None when it answered."""
    service: str = ""
    """Which of the target's services received it, where a request crosses more than one
    (a ``lambda`` target: ``function_url``, then ``bedrock``)."""


@dataclass
class Recorder:
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Received) -> None:
        with self._lock:
            self.received.append(entry)


def smoke_id(call: Call) -> str | None:
    """The smoke id in ``call``'s body (which probe sent it), if any."""
    match = SMOKE_ID.search(call.body)
    return match.group().decode() if match else None


def secret_id(ref: SecretRef) -> str:
    return ":".join([ref.store, ref.name, *([ref.key] if ref.key else [])])


def check_auth(book: Book, target: TargetConfig, call: Call, host_url: str) -> str | None:
    """None when ``call`` authenticates as ``target.auth`` says, else why not."""
    auth = target.auth
    if auth.scheme == "none":
        return None
    if auth.scheme == "sigv4":
        role = auth.role_arn if auth.federation == "google" else None
        return verify_sigv4(
            book, call, host_url, service=str(auth.service), region=target.region, role_arn=role
        )
    if auth.scheme == "azure_entra":
        return book.bearer(call, "azure", str(auth.scope).removesuffix("/.default"), auth.client_id)
    if auth.scheme == "google_access_token":
        return book.bearer(call, "google_access", "cloud-platform")
    if auth.scheme == "google_id_token":
        return book.bearer(call, "google_id", str(auth.audience))
    assert auth.secret is not None  # api_key (TargetAuth validates it)
    expected = book.api_keys.get(secret_id(auth.secret))
    if expected is None:
        return f"no key was provisioned for secret {secret_id(auth.secret)}"
    want = f"Bearer {expected}" if auth.header == "authorization" else expected
    if not hmac.compare_digest(call.headers.get(auth.header, "").encode(), want.encode()):
        return f"missing or wrong API key in header {auth.header!r}"
    return None


class TargetFake:
    """The request handler of one fake server hosting ``targets``."""

    def __init__(
        self, book: Book, targets: dict[str, TargetConfig], recorder: Recorder, host_url: str = ""
    ) -> None:
        self.book = book
        self.targets = targets
        self.recorder = recorder
        self.host_url = host_url
        """``http://127.0.0.1:PORT`` of the server, set once it listens (SigV4 host)."""

    def __call__(self, call: Call) -> Reply:
        sent_by = smoke_id(call)
        reasons = []
        for name, target in self.targets.items():
            op = operation(target, call)
            if op not in ("chat", "stream"):
                reasons.append(f"{name}: {op}")
                continue
            refused = check_auth(self.book, target, call, self.host_url)
            self.recorder.add(Received(name, op, sent_by, refused))
            if refused is not None:
                return aws_error(403, "AccessDeniedException", f"{name}: {refused}")
            return reply(target, op, f"answer from {name} ({sent_by})")  # type: ignore[arg-type]
        self.recorder.add(Received(None, call.target, sent_by, "; ".join(reasons)))
        return aws_error(404, "ResourceNotFoundException", "; ".join(reasons) or "no target here")


def aws_error(status: int, code: str, message: str) -> Reply:
    """An AWS JSON error as botocore reads it (``x-amzn-errortype``, ``message``)."""
    body = json.dumps({"__type": code, "message": message, "error": {"message": message}})
    return Reply(status, "application/json", body.encode(), {"x-amzn-errortype": code})


class AwsApis(TargetFake):
    """Bedrock runtime, SageMaker runtime and Secrets Manager on one endpoint."""

    def __call__(self, call: Call) -> Reply:
        if call.headers.get("x-amz-target") == "secretsmanager.GetSecretValue":
            return self._secret(call)
        return super().__call__(call)

    def _secret(self, call: Call) -> Reply:
        refused = verify_sigv4(
            self.book, call, self.host_url, service="secretsmanager", region=None, role_arn=None
        )
        if refused is not None:
            return aws_error(400, "AccessDeniedException", f"secretsmanager: {refused}")
        name = str((call.json() or {}).get("SecretId", ""))
        value = self.book.secrets.get(name)
        if value is None:
            return aws_error(400, "ResourceNotFoundException", f"no secret {name!r}")
        body = {
            "ARN": f"arn:aws:secretsmanager:::secret:{name}",
            "Name": name,
            "SecretString": value,
        }
        return Reply(200, "application/x-amz-json-1.1", json.dumps(body).encode())
