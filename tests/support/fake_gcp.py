"""A loopback Google Cloud for the two calls GCP preflight makes (Cloud Quotas
``quotaInfos.list`` and Compute ``acceleratorTypes.aggregatedList``), answering in the
documented shapes and enforcing what Google enforces: a Bearer token, the project in the
path, ``pageToken`` paging (the quota list is split over two pages) and Google's
``{"error": {"code", "message", "status"}}`` body on errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from inferplane.smoke.server import LoopbackServer
from inferplane.smoke.wire import Call, Reply, json_reply

__all__ = ["PROJECT", "TOKEN", "fake_gcp", "quota"]

PROJECT = "inferplane-prod-eu"
TOKEN = "gcp-test-token"


def quota(service: str, metric: str, **per_region: int) -> dict[str, Any]:
    """A QuotaInfo as Cloud Quotas lists it: one dimensionsInfo per region."""
    return {
        "name": f"projects/{PROJECT}/locations/global/services/{service}/quotaInfos/{metric}",
        "quotaId": metric.replace("_", "-").title().replace("-", ""),
        "metric": f"{service}/{metric}",
        "service": service,
        "quotaDisplayName": metric.replace("_", " "),
        "containerType": "PROJECT",
        "dimensions": ["region"],
        "dimensionsInfos": [
            {"dimensions": {"region": region}, "details": {"value": str(value)}}
            for region, value in per_region.items()
        ],
    }


QUOTAS: dict[str, list[dict[str, Any]]] = {
    "aiplatform.googleapis.com": [
        quota("aiplatform.googleapis.com", "online_prediction_requests_per_base_model"),
        quota(
            "aiplatform.googleapis.com",
            "custom_model_serving_nvidia_l4_gpus",
            europe_west4=8,
        ),
        quota(
            "aiplatform.googleapis.com",
            "custom_model_serving_preemptible_nvidia_l4_gpus",
            europe_west4=2,
        ),
        quota("aiplatform.googleapis.com", "custom_model_serving_nvidia_t4_gpus", europe_west4=4),
    ],
    "run.googleapis.com": [
        quota("run.googleapis.com", "nvidia_l4_gpu_allocation", europe_west4=3),
        quota("run.googleapis.com", "nvidia_l4_gpu_allocation_no_zonal_redundancy", europe_west4=9),
    ],
}
ZONES: dict[str, list[str]] = {
    "zones/europe-west4-a": ["nvidia-l4", "nvidia-tesla-t4"],
    "zones/europe-west4-b": ["nvidia-l4"],
    "zones/us-central1-a": ["nvidia-l4", "nvidia-h100-80gb"],
}


def _regions(item: dict[str, Any]) -> dict[str, Any]:
    """``europe_west4=`` keyword spellings back to region names."""
    for info in item["dimensionsInfos"]:
        info["dimensions"]["region"] = info["dimensions"]["region"].replace("_", "-")
    return item


for _items in QUOTAS.values():
    for _item in _items:
        _regions(_item)


def gcp_app(state: dict[str, Any]) -> Any:
    def app(call: Call) -> Reply:
        url = urlsplit(call.target)
        query = dict(parse_qsl(url.query))
        state["seen"].append(call.target)
        if call.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if state.get("fail"):
            return _error(*state["fail"])
        quotas = f"/v1/projects/{PROJECT}/locations/global/services/"
        if (
            call.method == "GET"
            and url.path.startswith(quotas)
            and url.path.endswith("/quotaInfos")
        ):
            service = url.path[len(quotas) :].split("/")[0]
            items = QUOTAS.get(service, [])
            half = len(items) // 2
            if query.get("pageToken") == "p2":
                return json_reply(200, {"quotaInfos": items[half:]})
            return json_reply(200, {"quotaInfos": items[:half], "nextPageToken": "p2"})
        if (
            call.method == "GET"
            and url.path == f"/compute/v1/projects/{PROJECT}/aggregated/acceleratorTypes"
        ):
            wanted = query.get("filter", "").partition('"')[2].rstrip('"')
            items = {
                zone: {
                    "acceleratorTypes": [{"name": n, "zone": zone} for n in names if n == wanted]
                }
                for zone, names in ZONES.items()
            }
            return json_reply(
                200, {"kind": "compute#acceleratorTypeAggregatedList", "items": items}
            )
        return _error(404, "NOT_FOUND", f"{url.path} (project {PROJECT} only)")

    return app


def _error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"error": {"code": status, "message": message, "status": code}})


@contextmanager
def fake_gcp() -> Iterator[tuple[str, dict[str, Any]]]:
    """A running fake Google Cloud: its base URL and a state dict (``seen`` request targets;
    set ``fail`` to ``(status, code, message)`` to make every call fail)."""
    state: dict[str, Any] = {"seen": []}
    with LoopbackServer(gcp_app(state)) as server:
        yield server.url, state
