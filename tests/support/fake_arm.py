"""A loopback Azure Resource Manager for the three calls preflight makes, answering in the
documented shapes and enforcing what ARM enforces: a Bearer token, the ``api-version`` each
API expects, the subscription in the path, ``nextLink`` paging (the models list is split
over two pages here), and ARM's ``{"error": {"code", "message"}}`` body on errors."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["SUBSCRIPTION", "TOKEN", "fake_arm"]

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TOKEN = "arm-test-token"
API_VERSIONS = {
    "models": "2024-10-01",
    "skus": "2021-07-01",
    "usages": "2024-04-01",
}


def aoai(name: str, version: str, *skus: str, deprecation: str | None = None) -> dict[str, Any]:
    return {
        "kind": "OpenAI",
        "skuName": "S0",
        "model": {
            "format": "OpenAI",
            "name": name,
            "version": version,
            "lifecycleStatus": "GenerallyAvailable",
            "skus": [
                {"name": s, "usageName": f"OpenAI.{s}.{name}", "capacity": {"default": 10}}
                for s in skus
            ],
            **({"deprecation": {"inference": deprecation}} if deprecation else {}),
        },
    }


MODELS: dict[str, list[dict[str, Any]]] = {
    "westeurope": [
        aoai("gpt-4o", "2024-08-06", "Standard", "GlobalStandard", "DataZoneStandard"),
        aoai("gpt-4o-mini", "2024-07-18", "GlobalStandard", "DataZoneStandard"),
        aoai("gpt-35-turbo", "0125", "Standard", deprecation="2025-03-31T00:00:00Z"),
        {"kind": "AIServices", "model": {"format": "Mistral AI", "name": "mistral-large"}},
    ],
}
SKUS: list[dict[str, Any]] = [
    {
        "resourceType": "virtualMachines",
        "name": "Standard_NC24ads_A100_v4",
        "family": "StandardNCADSA100v4Family",
        "locations": ["westeurope"],
        "capabilities": [{"name": "vCPUs", "value": "24"}, {"name": "GPUs", "value": "1"}],
        "restrictions": [],
    },
    {
        "resourceType": "virtualMachines",
        "name": "Standard_NC40ads_H100_v5",
        "family": "StandardNCadsH100v5Family",
        "locations": ["westeurope"],
        "capabilities": [{"name": "vCPUs", "value": "40"}],
        "restrictions": [
            {
                "type": "Location",
                "values": ["westeurope"],
                "reasonCode": "NotAvailableForSubscription",
            }
        ],
    },
]
USAGES: list[dict[str, Any]] = [
    {
        "type": "Microsoft.MachineLearningServices/vmFamily/usages",
        "unit": "Count",
        "currentValue": 24,
        "limit": 96,
        "name": {"value": "standardNCADSA100v4Family", "localizedValue": "NCADS A100 v4"},
    }
]


def _handler(state: dict[str, Any]) -> type:
    class Arm(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            state["seen"].append(self.path)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._error(401, "InvalidAuthenticationToken", "bad token")
            prefix = f"/subscriptions/{SUBSCRIPTION}/providers/"
            if not url.path.startswith(prefix):
                return self._error(404, "SubscriptionNotFound", url.path)
            rest = url.path[len(prefix) :].split("/")
            api = {
                ("Microsoft.CognitiveServices", "models"): "models",
                ("Microsoft.Compute", "skus"): "skus",
                ("Microsoft.MachineLearningServices", "usages"): "usages",
            }.get((rest[0], rest[-1]))
            if api is None:
                return self._error(404, "InvalidResourceType", url.path)
            if query.get("api-version") != API_VERSIONS[api]:
                return self._error(400, "InvalidApiVersionParameter", str(query))
            if state.get("fail"):
                return self._error(*state["fail"])
            if api == "models":
                value = MODELS.get(rest[2], [])
                page = int(query.get("page", "0"))
                half = len(value) // 2
                chunk = value[:half] if page == 0 else value[half:]
                link = None
                if page == 0:
                    base = f"http://{self.headers['Host']}{url.path}"
                    link = f"{base}?api-version={API_VERSIONS[api]}&page=1"
                return self._send(200, {"value": chunk, "nextLink": link})
            if api == "skus":
                wanted = query.get("$filter", "")
                value = [s for s in SKUS if f"location eq '{s['locations'][0]}'" == wanted]
                return self._send(200, {"value": value})
            return self._send(200, {"value": USAGES if rest[2] == "westeurope" else []})

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"error": {"code": code, "message": message}})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Arm


@contextmanager
def fake_arm() -> Iterator[tuple[str, dict[str, Any]]]:
    """A running fake ARM: its base URL and a state dict (``seen`` paths; set ``fail`` to
    ``(status, code, message)`` to make every call fail)."""
    state: dict[str, Any] = {"seen": []}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
