"""Azure Resource Manager, narrowly: what preflight asks about Azure targets.

Three documented REST calls, made with the standard library (no Azure SDK dependency):

- Cognitive Services ``Models - List`` (``.../locations/<loc>/models``): the Azure OpenAI
  models, versions and deployment SKUs offered in a region.
- Compute ``Resource Skus - List`` (``.../Microsoft.Compute/skus``): a VM size's family,
  vCPUs and whether the subscription may use it in the region.
- Machine Learning ``Usages - List`` (``.../MachineLearningServices/locations/<loc>/usages``):
  the subscription's per-family core quota for Azure ML compute.

Credentials: ``INFERPLANE_AZURE_TOKEN`` (an ARM access token), else the Azure CLI
(``az account get-access-token``). Subscription: ``--azure-subscription`` or
``ARM_SUBSCRIPTION_ID`` (what the Pulumi provider reads). Without them every Azure check
is could-not-check, naming what to set; the AWS checks still run.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from inferplane.errors import CloudAccessError
from inferplane.preflight.rest import BearerClient, cli_token, segment

__all__ = [
    "ARM_ENDPOINT",
    "AoaiModel",
    "ArmAzureApi",
    "AzureApi",
    "AzureError",
    "LazyArmAzureApi",
    "MlUsage",
    "VmSku",
    "arm_token",
]

ARM_ENDPOINT = "https://management.azure.com"
MODELS_API = "2024-10-01"
SKUS_API = "2021-07-01"
ML_USAGES_API = "2024-04-01"


class AzureError(CloudAccessError):
    """Azure could not be asked, or answered with an error (code and message kept)."""


@dataclass(frozen=True)
class AoaiModel:
    name: str
    version: str
    skus: tuple[str, ...]
    """Deployment SKUs offered for this version here (``Standard``, ``GlobalStandard``...)."""
    lifecycle: str | None
    inference_deprecation: str | None
    """ISO date after which the version no longer serves (``deprecation.inference``)."""


@dataclass(frozen=True)
class VmSku:
    name: str
    family: str
    vcpus: int
    restricted: str | None
    """The restriction's reason code in this region (``NotAvailableForSubscription``)."""


@dataclass(frozen=True)
class MlUsage:
    family: str
    current: int
    limit: int


class AzureApi(Protocol):
    def openai_models(self, location: str) -> list[AoaiModel]: ...

    def vm_sku(self, location: str, size: str) -> VmSku | None: ...

    def ml_usages(self, location: str) -> dict[str, MlUsage]:
        """Quota per VM family, keyed by family name in lower case."""


def arm_token() -> str:
    """An ARM access token: ``INFERPLANE_AZURE_TOKEN``, else the Azure CLI's."""
    return cli_token(
        "INFERPLANE_AZURE_TOKEN",
        ["az", "account", "get-access-token", "--resource", f"{ARM_ENDPOINT}/", "-o", "json"],
        missing="no Azure credentials: set INFERPLANE_AZURE_TOKEN (an ARM access token) or "
        "install the Azure CLI and run `az login`",
        error=AzureError,
        read=lambda out: str(json.loads(out)["accessToken"]),
    )


class ArmAzureApi:
    """``AzureApi`` over ARM REST (paged through ``nextLink``)."""

    def __init__(self, subscription: str, token: str, endpoint: str | None = None) -> None:
        self.subscription = subscription
        self.client = BearerClient(token, "Azure", AzureError, "code")
        self.endpoint = (endpoint or ARM_ENDPOINT).rstrip("/")

    def openai_models(self, location: str) -> list[AoaiModel]:
        path = f"/providers/Microsoft.CognitiveServices/locations/{segment(location)}/models"
        found = []
        for item in self._list(path, MODELS_API, permission="Microsoft.CognitiveServices/*/read"):
            model = item.get("model") or {}
            if model.get("format") != "OpenAI":
                continue
            found.append(
                AoaiModel(
                    name=str(model.get("name")),
                    version=str(model.get("version")),
                    skus=tuple(str(s.get("name")) for s in model.get("skus") or ()),
                    lifecycle=model.get("lifecycleStatus"),
                    inference_deprecation=(model.get("deprecation") or {}).get("inference"),
                )
            )
        return found

    def vm_sku(self, location: str, size: str) -> VmSku | None:
        params = {"$filter": f"location eq '{location}'"}
        items = self._list(
            "/providers/Microsoft.Compute/skus",
            SKUS_API,
            params,
            permission="Microsoft.Compute/skus/read",
        )
        for item in items:
            if item.get("resourceType") != "virtualMachines" or item.get("name") != size:
                continue
            caps = {c.get("name"): c.get("value") for c in item.get("capabilities") or ()}
            restricted = next(
                (
                    r.get("reasonCode")
                    for r in item.get("restrictions") or ()
                    if r.get("type") == "Location"
                ),
                None,
            )
            return VmSku(size, str(item.get("family")), int(caps.get("vCPUs", 0)), restricted)
        return None

    def ml_usages(self, location: str) -> dict[str, MlUsage]:
        path = f"/providers/Microsoft.MachineLearningServices/locations/{segment(location)}/usages"
        usages = {}
        for item in self._list(
            path, ML_USAGES_API, permission="Microsoft.MachineLearningServices/locations/*/read"
        ):
            family = str((item.get("name") or {}).get("value", ""))
            usages[family.lower()] = MlUsage(
                family, int(item.get("currentValue", 0)), int(item.get("limit", 0))
            )
        return usages

    def _list(
        self,
        path: str,
        api_version: str,
        params: dict[str, str] | None = None,
        *,
        permission: str,
    ) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"api-version": api_version, **(params or {})})
        url: str | None = (
            f"{self.endpoint}/subscriptions/{segment(self.subscription)}{path}?{query}"
        )
        items: list[dict[str, Any]] = []
        while url:
            body = self.client.get(url, permission)
            items.extend(v for v in body.get("value") or () if isinstance(v, dict))
            url = body.get("nextLink")
            if url and not url.startswith(self.endpoint + "/"):
                raise AzureError(f"ARM sent a nextLink outside {self.endpoint}: refused")
        return items


class LazyArmAzureApi:
    """``ArmAzureApi`` made on first use, so stacks without Azure targets never look for
    Azure credentials; without a subscription or token each call raises ``AzureError``
    (the check becomes could-not-check, naming what to set)."""

    def __init__(self, subscription: str | None = None, endpoint: str | None = None) -> None:
        self.subscription = subscription or os.environ.get("ARM_SUBSCRIPTION_ID")
        self.endpoint = endpoint
        self._api: ArmAzureApi | None = None

    def _arm(self) -> ArmAzureApi:
        if self._api is None:
            if not self.subscription:
                raise AzureError(
                    "no Azure subscription: pass --azure-subscription or set ARM_SUBSCRIPTION_ID"
                )
            self._api = ArmAzureApi(self.subscription, arm_token(), self.endpoint)
        return self._api

    def openai_models(self, location: str) -> list[AoaiModel]:
        return self._arm().openai_models(location)

    def vm_sku(self, location: str, size: str) -> VmSku | None:
        return self._arm().vm_sku(location, size)

    def ml_usages(self, location: str) -> dict[str, MlUsage]:
        return self._arm().ml_usages(location)
