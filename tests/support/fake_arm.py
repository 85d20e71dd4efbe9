"""A loopback Azure Resource Manager for the three calls preflight makes, answering in the
documented shapes and enforcing what ARM enforces: a Bearer token, the ``api-version`` each
API expects, the subscription in the path, ``nextLink`` paging (the models list is split
over two pages here), and ARM's ``{"error": {"code", "message"}}`` body on errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from inferplane.smoke.server import Call, LoopbackServer, Reply, json_reply

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


def arm_app(state: dict[str, Any]) -> Any:
    def app(call: Call) -> Reply:
        url = urlsplit(call.target)
        query = dict(parse_qsl(url.query))
        state["seen"].append(call.target)
        if call.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "bad token")
        prefix = f"/subscriptions/{SUBSCRIPTION}/providers/"
        if call.method != "GET" or not url.path.startswith(prefix):
            return _error(404, "SubscriptionNotFound", url.path)
        rest = url.path[len(prefix) :].split("/")
        api = {
            ("Microsoft.CognitiveServices", "models"): "models",
            ("Microsoft.Compute", "skus"): "skus",
            ("Microsoft.MachineLearningServices", "usages"): "usages",
        }.get((rest[0], rest[-1]))
        if api is None:
            return _error(404, "InvalidResourceType", url.path)
        if query.get("api-version") != API_VERSIONS[api]:
            return _error(400, "InvalidApiVersionParameter", str(query))
        if state.get("fail"):
            return _error(*state["fail"])
        if api == "models":
            value = MODELS.get(rest[2], [])
            half = len(value) // 2
            if query.get("page") == "1":
                return json_reply(200, {"value": value[half:], "nextLink": None})
            link = f"http://{call.headers['host']}{url.path}?api-version={API_VERSIONS[api]}&page=1"
            return json_reply(200, {"value": value[:half], "nextLink": link})
        if api == "skus":
            wanted = query.get("$filter", "")
            value = [s for s in SKUS if f"location eq '{s['locations'][0]}'" == wanted]
            return json_reply(200, {"value": value})
        return json_reply(200, {"value": USAGES if rest[2] == "westeurope" else []})

    return app


def _error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"error": {"code": code, "message": message}})


@contextmanager
def fake_arm() -> Iterator[tuple[str, dict[str, Any]]]:
    """A running fake ARM: its base URL and a state dict (``seen`` request targets; set
    ``fail`` to ``(status, code, message)`` to make every call fail)."""
    state: dict[str, Any] = {"seen": []}
    with LoopbackServer(arm_app(state)) as arm:
        yield arm.url, state
