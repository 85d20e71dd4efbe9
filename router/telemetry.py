"""OpenTelemetry for the router: on when an OTLP endpoint is configured, free when not.

``telemetry_for(config)`` returns ``NO_TELEMETRY`` (one no-op method call per answered
request) unless ``telemetry.otlp_endpoint`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` names a
collector; only then is ``router.otel`` (and with it ``opentelemetry``) imported, so a
router without a collector never loads the SDK, never reads a ``traceparent`` and sends
none upstream. What is exported (a server span per API request, joining the client's
trace; a client span per upstream attempt, whose ``traceparent`` goes upstream; GenAI
semantic conventions: token usage, durations, time to first token, time per output
token) is described in ``router.otel`` and ``router.otel_trace``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from .config.telemetry import ENDPOINTS_ALLOWED, TelemetryConfig, is_otlp_endpoint
from .errors import ConfigError

if TYPE_CHECKING:
    from .backends import Usage
    from .config import RouterConfig
    from .otel_trace import ServerTrace
    from .pipeline.call import Call
    from .pipeline.wire import Request

__all__ = [
    "ENDPOINT_ENV",
    "NO_TELEMETRY",
    "Telemetry",
    "TelemetryConfig",
    "otlp_endpoint",
    "telemetry_for",
]

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_PROTOCOL"
DISABLED_ENV = "OTEL_SDK_DISABLED"


class Telemetry(Protocol):
    """What Accounting (the pipeline's last stage) reports to: one call per answered request,
    one at shutdown."""

    def begin(self, request: Request, request_id: str, known: bool) -> ServerTrace | None:
        """The trace of ``request`` (None: not traced); ``known``: an endpoint's path."""

    def record(self, call: Call, target: str, status: int, usage: Usage, cached: bool) -> None:
        """``call`` was answered by ``target`` (from a cache when ``cached``)."""

    def shutdown(self) -> None:
        """Flush what is buffered and stop exporting."""


class _NoTelemetry:
    def begin(self, request: Request, request_id: str, known: bool) -> ServerTrace | None:
        return None

    def record(self, call: Call, target: str, status: int, usage: Usage, cached: bool) -> None:
        return None

    def shutdown(self) -> None:
        return None


NO_TELEMETRY: Telemetry = _NoTelemetry()


def otlp_endpoint(config: TelemetryConfig, environ: Mapping[str, str] = os.environ) -> str | None:
    """Where to export, or None when telemetry is off."""
    if environ.get(DISABLED_ENV, "").strip().lower() == "true":
        return None
    endpoint = config.otlp_endpoint or environ.get(ENDPOINT_ENV) or None
    if endpoint is None:
        return None
    if not is_otlp_endpoint(endpoint):
        raise ConfigError(
            f"{ENDPOINT_ENV}={endpoint!r} is not an OTLP/gRPC endpoint; {ENDPOINTS_ALLOWED}"
        )
    protocol = environ.get(PROTOCOL_ENV, "grpc")
    if protocol != "grpc":
        raise ConfigError(
            f"{PROTOCOL_ENV}={protocol!r}: the router exports OTLP over gRPC only; allowed: grpc"
        )
    return endpoint


def telemetry_for(config: RouterConfig, environ: Mapping[str, str] = os.environ) -> Telemetry:
    """``NO_TELEMETRY`` unless an OTLP endpoint is configured."""
    endpoint = otlp_endpoint(config.telemetry, environ)
    if endpoint is None:
        return NO_TELEMETRY
    from .otel import GenAITelemetry  # the SDK loads only now

    return GenAITelemetry(config, endpoint)
