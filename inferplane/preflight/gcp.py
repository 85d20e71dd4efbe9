"""Google Cloud, narrowly: what preflight asks about Vertex AI and Cloud Run GPU targets.

Two documented REST calls, made with the standard library (no Google SDK dependency):

- Cloud Quotas ``quotaInfos.list``
  (``cloudquotas.googleapis.com/v1/projects/<p>/locations/global/services/<svc>/quotaInfos``):
  every quota of a service with its per-region value. The GPU quota of Vertex online
  serving and of Cloud Run is found by its metric name (``nvidia_l4`` + ``serving`` for
  Vertex, ``nvidia_l4`` + ``gpu_allocation`` for Cloud Run) instead of a hard-coded quota
  ID: the IDs could not be confirmed offline, and a quota not found is reported as
  could-not-check with what was looked for, never as a pass.
- Compute ``acceleratorTypes.aggregatedList``: which zones of a region offer a GPU type.

Credentials: ``INFERPLANE_GCP_TOKEN`` (an OAuth access token), else
``gcloud auth print-access-token``. Project: ``--gcp-project``, else ``GOOGLE_CLOUD_PROJECT``,
else the stack's ``gcp:project``. Without them every GCP check is could-not-check, naming
what to set; the other checks still run.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from inferplane.errors import CloudAccessError
from inferplane.preflight.rest import BearerClient, cli_token, segment

__all__ = [
    "COMPUTE_ENDPOINT",
    "QUOTAS_ENDPOINT",
    "GcpApi",
    "GcpError",
    "LazyRestGcpApi",
    "QuotaInfo",
    "RestGcpApi",
    "gcp_token",
]

QUOTAS_ENDPOINT = "https://cloudquotas.googleapis.com"
COMPUTE_ENDPOINT = "https://compute.googleapis.com"
MAX_PAGES = 50


class GcpError(CloudAccessError):
    """Google Cloud could not be asked, or answered with an error (status and message kept)."""


@dataclass(frozen=True)
class QuotaInfo:
    """One quota of a service: its metric and its value per region (``""``: every region)."""

    quota_id: str
    metric: str
    display_name: str
    values: dict[str, int]

    def in_region(self, region: str) -> int | None:
        """The quota's value in ``region``: the region's own, else the all-regions one."""
        return self.values.get(region, self.values.get(""))


class GcpApi(Protocol):
    def quota_infos(self, service: str) -> list[QuotaInfo]: ...

    def accelerator_zones(self, region: str, accelerator: str) -> list[str]:
        """Zones of ``region`` offering the Compute accelerator type (``nvidia-l4``)."""


def gcp_token() -> str:
    """An OAuth access token: ``INFERPLANE_GCP_TOKEN``, else gcloud's."""
    return cli_token(
        "INFERPLANE_GCP_TOKEN",
        ["gcloud", "auth", "print-access-token"],
        missing="no Google Cloud credentials: set INFERPLANE_GCP_TOKEN (an access token) or "
        "install the gcloud CLI and run `gcloud auth login`",
        error=GcpError,
    )


class RestGcpApi:
    """``GcpApi`` over the REST APIs (paged through ``nextPageToken``). ``endpoint``
    replaces both hosts (a local fake)."""

    def __init__(self, project: str, token: str, endpoint: str | None = None) -> None:
        self.project = project
        self.client = BearerClient(token, "Google", GcpError, "status")
        self.quotas = (endpoint or QUOTAS_ENDPOINT).rstrip("/")
        self.compute = (endpoint or COMPUTE_ENDPOINT).rstrip("/")

    def quota_infos(self, service: str) -> list[QuotaInfo]:
        path = (
            f"{self.quotas}/v1/projects/{segment(self.project)}/locations/global/services/"
            f"{segment(service)}/quotaInfos"
        )
        pages = self._pages(path, {"pageSize": "500"}, "cloudquotas.quotas.get")
        return [_quota(item) for page in pages for item in page.get("quotaInfos") or ()]

    def accelerator_zones(self, region: str, accelerator: str) -> list[str]:
        project = segment(self.project)
        path = f"{self.compute}/compute/v1/projects/{project}/aggregated/acceleratorTypes"
        params = {"filter": f'name = "{accelerator}"'}
        zones = set()
        for page in self._pages(path, params, "compute.acceleratorTypes.list"):
            for scope, listed in (page.get("items") or {}).items():
                zone = scope.removeprefix("zones/")
                names = {a.get("name") for a in listed.get("acceleratorTypes") or ()}
                if zone.startswith(f"{region}-") and accelerator in names:
                    zones.add(zone)
        return sorted(zones)

    def _pages(self, url: str, params: dict[str, str], permission: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        token: str | None = None
        while len(pages) < MAX_PAGES:
            query = urllib.parse.urlencode({**params, **({"pageToken": token} if token else {})})
            page = self.client.get(f"{url}?{query}", permission)
            pages.append(page)
            token = page.get("nextPageToken")
            if not token:
                return pages
        raise GcpError(f"more than {MAX_PAGES} pages from {urllib.parse.urlsplit(url).path}")


def _quota(item: dict[str, Any]) -> QuotaInfo:
    values: dict[str, int] = {}
    for info in item.get("dimensionsInfos") or ():
        region = str((info.get("dimensions") or {}).get("region", ""))
        value = (info.get("details") or {}).get("value")
        if value is not None:
            values[region] = int(value)
    return QuotaInfo(
        quota_id=str(item.get("quotaId", "")),
        metric=str(item.get("metric", "")),
        display_name=str(item.get("quotaDisplayName", "")),
        values=values,
    )


class LazyRestGcpApi:
    """``RestGcpApi`` made on first use, so stacks without GCP targets never look for
    Google credentials; without a project or token each call raises ``GcpError`` (the
    check becomes could-not-check, naming what to set)."""

    def __init__(self, project: str | None = None, endpoint: str | None = None) -> None:
        self.project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
        self.endpoint = endpoint
        self._api: RestGcpApi | None = None

    def with_default_project(self, project: str | None) -> LazyRestGcpApi:
        """This API, using the stack's ``gcp:project`` when none was given."""
        if self.project is None and project:
            self.project = project
        return self

    def _rest(self) -> RestGcpApi:
        if self._api is None:
            if not self.project:
                raise GcpError(
                    "no Google Cloud project: pass --gcp-project, set GOOGLE_CLOUD_PROJECT "
                    "or gcp:project in the stack config"
                )
            self._api = RestGcpApi(self.project, gcp_token(), self.endpoint)
        return self._api

    def quota_infos(self, service: str) -> list[QuotaInfo]:
        return self._rest().quota_infos(service)

    def accelerator_zones(self, region: str, accelerator: str) -> list[str]:
        return self._rest().accelerator_zones(region, accelerator)
