"""Static schemes: ``none`` and ``api_key`` (a key resolved once, at start-up, from its
secret store; ``authorization`` sends ``Bearer <key>``)."""

from __future__ import annotations

from ..config import TargetConfig
from .base import OutgoingRequest, TargetCredentials
from .options import CredentialOptions

__all__ = ["ApiKey", "NoAuth"]


class NoAuth(TargetCredentials):
    scheme = "none"
    adds_nothing = True

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        return None

    async def authorize(self, request: OutgoingRequest) -> None:
        return None


class ApiKey(TargetCredentials):
    scheme = "api_key"

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        auth = target.auth
        assert auth.secret is not None  # TargetAuth requires it for this scheme
        key = options.resolve_secret(auth.secret)
        header = auth.header.lower()
        if header == "authorization" and options.key_header is not None:
            header = options.key_header  # the API's own key header (Anthropic, Azure OpenAI)
        self.header = header
        self.value = "Bearer " + key if header == "authorization" else key

    async def authorize(self, request: OutgoingRequest) -> None:
        request.headers[self.header] = self.value
