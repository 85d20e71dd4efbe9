"""What the boto3 adapters (Bedrock, SageMaker) share: clients and error translation."""

from __future__ import annotations

from typing import Any, Literal

from router.config import TargetConfig
from router.errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)

__all__ = ["boto_client", "translate_aws_error"]

# Error codes (lower-cased; event-stream errors arrive in camelCase) and what they mean
# for routing: the status the router reports and so whether another target may be tried.
_STATUS_BY_CODE = {
    "throttlingexception": 429,
    "toomanyrequestsexception": 429,
    "servicequotaexceededexception": 429,
    "validationexception": 400,
    # The router's own identity or the target's state: another target may well work.
    "accessdeniedexception": 503,
    "unrecognizedclientexception": 503,
    "resourcenotfoundexception": 503,
    "modelnotreadyexception": 503,
    "serviceunavailableexception": 503,
    "internalserverexception": 500,
    "internalfailure": 500,
    "modelerror": 502,
    "modelstreamerrorexception": 502,
    "internalstreamfailure": 502,
}


def boto_client(
    service: Literal["bedrock-runtime", "sagemaker-runtime"], target: TargetConfig
) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=target.timeouts.connect,
        read_timeout=target.timeouts.total,
        # The router retries and falls back itself; botocore's retries would hide failures.
        retries={"max_attempts": 1, "mode": "standard"},
        max_pool_connections=64,
    )
    if service == "bedrock-runtime":
        return boto3.client("bedrock-runtime", region_name=target.region, config=config)
    return boto3.client("sagemaker-runtime", region_name=target.region, config=config)


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
        status = _STATUS_BY_CODE.get(code)
        if status is None:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 502)
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
