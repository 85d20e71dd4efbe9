"""AWS Signature V4 (``sigv4``) for Lambda function URLs, Bedrock and SageMaker.

One credential source per target, used both to sign HTTP requests here and by the boto3
clients of the Bedrock and SageMaker adapters (``botocore_session``), so a target never
signs with two identities. Native: botocore's credential chain (env, the function's role,
container / instance metadata); a background task touches it every poll so botocore's own
refresh runs in a worker thread, not on the event loop. ``federation: google``:
``sts:AssumeRoleWithWebIdentity`` on ``role_arn`` with the router's Google ID token
(audience ``auth.audience`` or ``sts.amazonaws.com``), cached and refreshed before expiry.
STS is ``AWS_ENDPOINT_URL_STS`` if set, else the target region's endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from ..config import TargetConfig
from .base import CredentialsUnavailableError, OutgoingRequest, TargetCredentials
from .fetch import IssuerError, post_form
from .google import mint_id_token
from .options import CredentialOptions
from .tokens import Token, TokenCache

__all__ = ["AwsKeys", "SigV4", "mint_web_identity_keys"]

DEFAULT_AUDIENCE = "sts.amazonaws.com"
SESSION_NAME = "inferplane-router"
_STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


class AwsKeys(NamedTuple):
    """Shaped like botocore's ReadOnlyCredentials, which SigV4Auth reads."""

    access_key: str
    secret_key: str
    token: str | None


def sts_url(region: str | None) -> str:
    override = os.environ.get("AWS_ENDPOINT_URL_STS")
    if override:
        return override.rstrip("/") + "/"
    return f"https://sts.{region}.amazonaws.com/" if region else "https://sts.amazonaws.com/"


def mint_web_identity_keys(
    role_arn: str, audience: str, region: str | None, clock: Callable[[], float]
) -> Token[AwsKeys]:
    web_token = mint_id_token(audience, clock).value
    now = clock()
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": SESSION_NAME,
        "WebIdentityToken": web_token,
        "DurationSeconds": "3600",
    }
    raw = post_form(sts_url(region), form)
    try:
        found = ET.fromstring(raw).find(f".//{_STS_NS}Credentials")
    except ET.ParseError as exc:
        raise IssuerError("STS answered something that is not XML") from exc
    if found is None:
        raise IssuerError("STS's answer has no Credentials")
    fields = {child.tag.removeprefix(_STS_NS): (child.text or "") for child in found}
    try:
        keys = AwsKeys(fields["AccessKeyId"], fields["SecretAccessKey"], fields["SessionToken"])
        expires = datetime.fromisoformat(fields["Expiration"].replace("Z", "+00:00")).timestamp()
    except (KeyError, ValueError) as exc:
        raise IssuerError(f"STS's Credentials are incomplete: {exc}") from exc
    return Token(keys, expires, now)


class SigV4(TargetCredentials):
    scheme = "sigv4"

    def __init__(self, name: str, target: TargetConfig, options: CredentialOptions) -> None:
        auth = target.auth
        assert auth.service is not None  # TargetAuth requires it for this scheme
        if target.region is None:
            raise ValueError(f"target {name!r}: auth scheme 'sigv4' needs the target's region")
        self.name = name
        self.service = auth.service
        self.region = target.region
        self._poll_s = options.poll_s
        self._touch: asyncio.Task[None] | None = None
        self.cache: TokenCache[AwsKeys] | None = None
        self._botocore: Any = None
        if auth.federation == "google":
            role_arn, region, clock = auth.role_arn, target.region, options.clock
            audience = auth.audience or DEFAULT_AUDIENCE
            assert role_arn is not None
            self.cache = TokenCache(
                lambda: mint_web_identity_keys(role_arn, audience, region, clock),
                what=f"target {name!r} (aws web identity for {role_arn})",
                clock=clock,
                poll_s=options.poll_s,
            )

    def botocore_session(self) -> Any:
        """A botocore session whose credentials are this target's (for boto3 clients)."""
        if self._botocore is None:
            import botocore.session

            session = botocore.session.Session()
            if self.cache is not None:
                _install(session, _FederatedCredentials(self.cache))
            self._botocore = session
        return self._botocore

    def keys(self) -> Any:
        """Current frozen keys; blocking only inside botocore's own refresh (native)."""
        if self.cache is not None:
            return self.cache.current_blocking()
        credentials = self.botocore_session().get_credentials()
        if credentials is None:
            raise CredentialsUnavailableError(
                f"target {self.name!r}: no AWS credentials in botocore's chain", target=self.name
            )
        return credentials.get_frozen_credentials()

    async def authorize(self, request: OutgoingRequest) -> None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import ReadOnlyCredentials

        found = await self.cache.current() if self.cache is not None else self.keys()
        keys = ReadOnlyCredentials(found.access_key, found.secret_key, found.token)
        signed = AWSRequest(
            method=request.method, url=request.url, data=request.body, headers=request.headers
        )
        SigV4Auth(keys, self.service, self.region).add_auth(signed)
        request.headers = dict(signed.headers.items())

    async def start(self) -> None:
        if self.cache is not None:
            await self.cache.start()
            return
        with contextlib.suppress(CredentialsUnavailableError):
            await asyncio.to_thread(self.keys)  # warm: resolve the chain once, off the loop
        self._touch = asyncio.get_running_loop().create_task(self._keep_fresh())

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            with contextlib.suppress(Exception):  # botocore logs its own refresh failures
                await asyncio.to_thread(self.keys)

    async def close(self) -> None:
        if self.cache is not None:
            await self.cache.close()
        if self._touch is not None:
            self._touch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._touch


class _FederatedCredentials:
    """botocore's Credentials interface over the cache (botocore calls
    ``get_frozen_credentials`` in its signer, in the adapter's worker thread)."""

    method = "inferplane-web-identity"
    account_id: str | None = None

    def __init__(self, cache: TokenCache[AwsKeys]) -> None:
        self._cache = cache

    def get_deferred_property(self, name: str) -> Callable[[], Any]:
        return lambda: getattr(self, name, None)

    def get_frozen_credentials(self) -> AwsKeys:
        return self._cache.current_blocking()

    @property
    def access_key(self) -> str:
        return self.get_frozen_credentials().access_key

    @property
    def secret_key(self) -> str:
        return self.get_frozen_credentials().secret_key

    @property
    def token(self) -> str | None:
        return self.get_frozen_credentials().token


def _install(session: Any, credentials: _FederatedCredentials) -> None:
    from botocore.credentials import CredentialProvider, CredentialResolver

    class Provider(CredentialProvider):
        METHOD = CANONICAL_NAME = credentials.method

        def load(self) -> _FederatedCredentials:
            return credentials

    session.register_component("credential_provider", CredentialResolver([Provider()]))
