"""AWS runtime error codes (Bedrock's Converse, SageMaker's runtime) as the HTTP status
the caller should see: the Lambda handler answers with it, the router's backends decide
retry and fallback by it (``UpstreamStatusError``: 4xx other than 408/429 is the
caller's fault, returned as it is and never tried elsewhere).

The caller of a Converse proxy never holds an AWS identity: the router's or the
function's role signs the call. So an error about that identity, the model's access or
the configured model ID is not the caller's fault and must not look like it:
``AccessDeniedException`` (Bedrock's own HTTP status is 403) is answered 503. An OpenAI
client reads 403 as "your API key may not do this" (``PermissionDeniedError``, never
retried) and the router would hand a 403 back to the client instead of trying another
target; 503 says "this service cannot answer now", lets the router fall back and lets
OpenAI SDKs retry. The message still carries Bedrock's text for the operator.
"""

from __future__ import annotations

__all__ = ["STATUS_BY_CODE", "status_for"]

STATUS_BY_CODE: dict[str, int] = {
    # The caller's request: Bedrock could not take it (bad field, too long, ...).
    "validationexception": 400,
    # Quotas: retry later or elsewhere. Bedrock sends ServiceQuotaExceeded as a 400.
    "throttlingexception": 429,
    "toomanyrequestsexception": 429,
    "servicequotaexceededexception": 429,
    # The deployment's identity, model access or model ID: not the caller's to fix.
    "accessdeniedexception": 503,
    "unrecognizedclientexception": 503,
    "expiredtokenexception": 503,
    "resourcenotfoundexception": 503,
    # The target's state.
    "modelnotreadyexception": 503,
    "serviceunavailableexception": 503,
    "modeltimeoutexception": 504,
    # The model or the service failed: a gateway's 502, retried by the router.
    "internalserverexception": 502,
    "internalfailure": 502,
    "modelerrorexception": 502,
    "modelstreamerrorexception": 502,
    "modelerror": 502,  # SageMaker's runtime
    "internalstreamfailure": 502,
}
"""Lower-cased codes: event-stream errors arrive in camelCase (``throttlingException``)."""


def status_for(code: str, http_status: int | None = None) -> int:
    """The status for error ``code``; an unknown code keeps the answer's own HTTP status
    when it has one of 400 or more, else 502."""
    known = STATUS_BY_CODE.get(code.lower())
    if known is not None:
        return known
    return http_status if http_status is not None and http_status >= 400 else 502
