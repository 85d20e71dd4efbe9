"""``TelemetryConfig``: where the router exports OpenTelemetry (``router.telemetry``)."""

from __future__ import annotations

from pydantic import Field, field_validator

from .base import Model

__all__ = ["ENDPOINTS_ALLOWED", "TelemetryConfig", "is_otlp_endpoint"]

ENDPOINTS_ALLOWED = "allowed: http://HOST:PORT (plain) or https://HOST:PORT (TLS)"


def is_otlp_endpoint(value: str) -> bool:
    """An OTLP/gRPC endpoint as the exporter takes it: ``http(s)://host:port``."""
    scheme, _, rest = value.partition("://")
    return scheme in ("http", "https") and bool(rest) and not any(c.isspace() for c in rest)


class TelemetryConfig(Model):
    """OpenTelemetry export over OTLP/gRPC (``RouterConfig.telemetry``)."""

    otlp_endpoint: str | None = None
    """The collector's OTLP/gRPC endpoint (``http://collector:4317``; ``https://`` for
    TLS). None: ``OTEL_EXPORTER_OTLP_ENDPOINT`` if set, else telemetry is off."""
    service_name: str = Field(default="inferplane-router", min_length=1)
    """``service.name`` of the exported resource."""
    export_interval_s: float = Field(default=10.0, gt=0, le=3600)
    """How often metrics are exported (spans are batched and sent within a second or so)."""

    @field_validator("otlp_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not is_otlp_endpoint(value):
            raise ValueError(f"{value!r} is not an OTLP/gRPC endpoint; {ENDPOINTS_ALLOWED}")
        return value
