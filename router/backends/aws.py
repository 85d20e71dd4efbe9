"""What the boto3 adapters (Bedrock, SageMaker) share: clients and error translation
(the status of each AWS error code is ``router.converse.errors``, shared with the Lambda
Converse handler)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from ..config import TargetConfig
from ..converse.errors import status_for
from ..errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)
from ..target_auth import TargetCredentials
from .base import BackendContext, ChatBackend

__all__ = ["BotoBackend", "boto_client", "translate_aws_error"]

Service = Literal["bedrock-runtime", "sagemaker-runtime"]


class BotoBackend(ChatBackend):
    """A backend calling an AWS runtime API through boto3: its client is made once,
    before the first request, off the loop."""

    SERVICE: ClassVar[Service]

    def __init__(
        self, name: str, target: TargetConfig, context: BackendContext, client: Any = None
    ) -> None:
        super().__init__(name, target, context)
        self._client = client

    async def start(self) -> None:
        await super().start()
        # Building a boto3 client takes ~100 ms: do it before the first request, off the loop.
        await self.context.run_blocking(lambda: self.client)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto_client(self.SERVICE, self.target, self.credentials)
        return self._client


def boto_client(
    service: Service,
    target: TargetConfig,
    credentials: TargetCredentials,
) -> Any:
    """A client that signs with the target's credentials: a ``sigv4`` target's own source
    (its botocore session, federated or not), else botocore's default chain."""
    import boto3
    from botocore.config import Config

    from ..target_auth.aws import SigV4

    config = Config(
        connect_timeout=target.timeouts.connect,
        read_timeout=target.timeouts.total,
        # The router retries and falls back itself; botocore's retries would hide failures.
        retries={"max_attempts": 1, "mode": "standard"},
        max_pool_connections=64,
    )
    if isinstance(credentials, SigV4):
        session = boto3.Session(botocore_session=credentials.botocore_session())
    else:
        session = boto3.Session()
    verify = _ca_file(target, credentials)
    if service == "bedrock-runtime":
        return session.client(
            "bedrock-runtime", region_name=target.region, config=config, verify=verify
        )
    return session.client(
        "sagemaker-runtime", region_name=target.region, config=config, verify=verify
    )


def _ca_file(target: TargetConfig, credentials: TargetCredentials) -> str | None:
    """botocore verifies against a CA bundle file: write ``auth.ca`` to one."""
    if credentials.ssl is None:
        return None
    import ssl
    import tempfile

    certs = credentials.ssl.get_ca_certs(binary_form=True)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write("".join(ssl.DER_cert_to_PEM_cert(der) for der in certs))
    return handle.name


def translate_aws_error(exc: BaseException, target: str) -> UpstreamError:
    from botocore import exceptions as boto

    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")).lower()
        message = str(error.get("Message", "")) or str(exc)
        if code == "modeltimeoutexception":
            return UpstreamTimeoutError(f"target {target!r} timed out: {message}", target=target)
        http_status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        status = status_for(code, int(http_status) if http_status else None)
        return UpstreamStatusError(
            f"target {target!r} answered {error.get('Code')}: {message}",
            target=target,
            upstream_status=status,
        )
    if isinstance(exc, boto.ConnectTimeoutError | boto.ReadTimeoutError):
        return UpstreamTimeoutError(f"target {target!r} timed out: {exc}", target=target)
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectionClosedError):
        return UpstreamConnectError(f"target {target!r} is unreachable: {exc}", target=target)
    if isinstance(exc, TimeoutError):
        return UpstreamTimeoutError(f"target {target!r} timed out", target=target)
    return UpstreamProtocolError(f"target {target!r}: {exc!r}", target=target)
