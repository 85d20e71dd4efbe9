"""The boto3 boundary of preflight and verify: clients per (service, region), and every
call made through ``call`` so botocore errors become inferplane errors here, once."""

from __future__ import annotations

from typing import Any

from inferplane.errors import AccessDeniedError, CloudAccessError, CredentialsMissingError

__all__ = ["DENIED_CODES", "AwsClients", "call"]

DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
_BAD_CREDENTIAL_CODES = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "AuthFailure"}
)
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
    }
)
CREDENTIALS_HINT = (
    "no AWS credentials found: set AWS_PROFILE (a profile from ~/.aws/config, e.g. after "
    "`aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN "
    "for temporary credentials)"
)


class AwsClients:
    """boto3 clients from one session, created once per (service, region)."""

    def __init__(self, session: Any | None = None, endpoint_url: str | None = None) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self.session = session
        self.endpoint_url = endpoint_url
        """One endpoint for every service (a local moto server); None: AWS's own, or
        ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` as botocore reads them."""
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            # The service name is a runtime string, so the stubs' per-service overloads
            # cannot pick one; every caller goes through ``call`` with a method name.
            make: Any = self.session.client
            self._clients[key] = make(service, region_name=region, endpoint_url=self.endpoint_url)
        return self._clients[key]


def call(client: Any, method: str, **kwargs: Any) -> Any:
    """``client.<method>(**kwargs)`` with botocore's errors translated.

    Denials become AccessDeniedError naming the IAM action (``ec2:DescribeSubnets``); a
    missing credential chain becomes CredentialsMissingError. Other ClientErrors (not
    found, validation) are the caller's to interpret and pass through unchanged; AWS-side
    errors (5xx), throttling and transport failures become CloudAccessError naming the API,
    the code and what to do, so a check reports could-not-check instead of a traceback.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.parsers import ResponseParserError

    try:
        return getattr(client, method)(**kwargs)
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise CredentialsMissingError(f"{CREDENTIALS_HINT} ({exc})") from exc
    except EndpointConnectionError as exc:
        raise CloudAccessError(f"cannot reach AWS: {exc}") from exc
    except (BotoCoreError, ResponseParserError) as exc:  # timeouts, drops, unparsable answers
        raise CloudAccessError(
            f"{permission(client, method)}: {type(exc).__name__}: {exc}; "
            "check the network or endpoint and retry"
        ) from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in DENIED_CODES:
            raise AccessDeniedError(permission(client, method), error_message(exc)) from exc
        if code in _BAD_CREDENTIAL_CODES:
            raise CredentialsMissingError(
                f"AWS rejected the credentials ({code}): refresh them, e.g. `aws sso login`, "
                "or set valid AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            ) from exc
        if code in _THROTTLING_CODES or http_status(exc) >= 500:
            raise CloudAccessError(
                f"{permission(client, method)} failed on AWS's side "
                f"({code or http_status(exc)}: {error_message(exc)}); retry later"
            ) from exc
        raise


def permission(client: Any, method: str) -> str:
    """The IAM action for ``client.<method>``: ``<signing name>:<OperationName>``."""
    prefix = client.meta.service_model.signing_name
    operation = client.meta.method_to_api_mapping.get(method, method)
    return f"{prefix}:{operation}"


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError; empty for anything else."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def http_status(exc: BaseException) -> int:
    """The HTTP status of a botocore ClientError; 0 for anything else."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", "")) or str(exc)
    return str(exc)
