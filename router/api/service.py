"""The router's own endpoints: ``GET /v1/models`` (the names a key may send as ``model``),
``/healthz``, ``/readyz`` (targets listed for operators only) and ``/metrics`` (operators
only: it names every target, its traffic and cost)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from ..cold import readiness
from ..errors import AuthenticationError, PermissionDeniedError
from ..pipeline.wire import JSON, Endpoint, Request, Response

if TYPE_CHECKING:
    from ..core import Gateway

__all__ = ["endpoints"]

_HEALTHY = b'{"status":"ok"}'
_PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    config, admission = gateway.config, gateway.admission

    async def models(request: Request, request_id: str) -> Response:
        key = await admission.authenticate(request.headers) if config.auth_required else None
        routes = [r for r in config.routes if key is None or not key.routes or r.name in key.routes]
        names = [r.match.alias for r in routes if r.match.alias]
        names += [t for r in routes for t in r.targets if t not in names]
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "inferplane"} for n in names]
        return Response(200, {"content-type": JSON}, orjson.dumps({"object": "list", "data": data}))

    async def healthz(request: Request, request_id: str) -> Response:
        return Response(200, {"content-type": JSON}, _HEALTHY)

    async def readyz(request: Request, request_id: str) -> Response:
        """Anyone may ask whether the router is ready; only an operator sees which targets
        (``router.cold.readiness``: ready, cold or down)."""
        status, public, operator = readiness(gateway.breakers, gateway.backends)
        document = operator if admission.is_operator(request) else public
        return Response(status, {"content-type": JSON}, orjson.dumps(document))

    async def metrics(request: Request, request_id: str) -> Response:
        if not admission.is_operator(request):
            if not config.admin.keys:
                raise PermissionDeniedError(
                    "/metrics is closed: configure admin.keys (a credential) or admin.port "
                    "(an operator listener) in the router config",
                    code="metrics_closed",
                )
            raise AuthenticationError(
                "/metrics needs an operator credential (admin.keys): "
                "send 'Authorization: Bearer <key>'"
            )
        breakers = {name: breaker.state for name, breaker in gateway.breakers.items()}
        degraded = bool(getattr(gateway.store, "degraded", False))
        body = gateway.accounting.render(breakers, degraded) + gateway.semantic.render()
        return Response(200, {"content-type": _PROMETHEUS}, body)

    return {
        "/v1/models": Endpoint("GET", models),
        "/healthz": Endpoint("GET", healthz),
        "/readyz": Endpoint("GET", readyz),
        "/metrics": Endpoint("GET", metrics),
    }
