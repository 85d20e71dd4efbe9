"""Is a serving resource reachable from the public internet? Read from the resource's
own network settings, per type; shared by the wiring rules (IP-WIR-001 checks a target
that claims a public reach really is public, IP-WIR-004 that a private one is not)."""

from __future__ import annotations

from policies.model import Resource
from policies.values import UNKNOWN, as_bool, as_str, get

__all__ = ["NETWORK_SETTING", "internet_exposed"]

NETWORK_SETTING: dict[str, str] = {
    "azure-native:cognitiveservices:Account": "properties.publicNetworkAccess",
    "azure-native:machinelearningservices:OnlineEndpoint": "properties.publicNetworkAccess",
    "azure-native:machinelearningservices:Workspace": "publicNetworkAccess",
    "aws:lb/loadBalancer:LoadBalancer": "internal",
    "gcp:cloudrunv2/service:Service": "ingress",
    "azure-native:app:ContainerApp": "configuration.ingress.external",
}
"""Serving resource types and the property that says whether the internet reaches them."""

CLOUD_RUN_INTERNAL = frozenset(
    {"INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}
)


def internet_exposed(resource: Resource) -> bool | None:
    """True when the internet reaches ``resource``, False when it does not, None when the
    type has no such setting or its value is unknown."""
    path = NETWORK_SETTING.get(resource.type)
    if path is None:
        return None
    value = get(resource.properties, path)
    if value == UNKNOWN:
        return None
    if resource.type == "aws:lb/loadBalancer:LoadBalancer":
        return as_bool(value) is not True  # internet-facing unless ``internal``
    text = (as_str(value) or "").strip()
    if resource.type == "gcp:cloudrunv2/service:Service":
        return text.upper() not in CLOUD_RUN_INTERNAL  # default INGRESS_TRAFFIC_ALL
    if resource.type == "azure-native:app:ContainerApp":
        return as_bool(value) is True
    # Azure (case-insensitive enums): public network access is on unless Disabled.
    return text.lower() != "disabled"
