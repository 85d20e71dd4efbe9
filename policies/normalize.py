"""Graph resources (offline) and CrossGuard resources -> the normalized ``Resource`` rules
see: region/location resolved from the resource's inputs or its provider, tags/labels
flattened to one mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from inferplane.plan.graph import Graph
from inferplane.plan.graph import Resource as GraphResource
from inferplane.policies.model import Resource, Stack
from inferplane.policies.taggable import is_taggable
from inferplane.policies.values import UNKNOWN, is_known
from inferplane.residency import Location
from inferplane.spec import StackSpec

__all__ = [
    "components_of",
    "from_graph",
    "inherit_tags",
    "location_of",
    "normalize",
    "region_of",
    "stack_from_graph",
    "tags_of",
]

K8S_LABEL_PREFIX = "inferplane.dev/"
# The clouds whose resources name their region; the value is the provider config key.
PROVIDER_REGION_KEY = {"aws": "region", "gcp": "region", "azure-native": "location"}
CLOUD_OF_PACKAGE = {"aws": "aws", "gcp": "gcp", "azure-native": "azure"}

# AWS services whose resources take no ``region`` in pulumi-aws v7: account-global, they
# keep no data in a region, so residency does not apply to them.
AWS_GLOBAL_SERVICES = frozenset(
    ["iam", "route53", "cloudfront", "organizations", "budgets", "costexplorer", "account",
     "globalaccelerator", "shield", "waf", "identitystore", "ssoadmin"]
)  # fmt: skip
GCP_MULTI_REGIONS = {"us": "us", "eu": "eu", "asia": "apac"}
GCP_DUAL_REGION = re.compile(r"^(nam|eur|asia)\d+$")
GCP_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")


def region_of(
    type_: str,
    inputs: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    default_regions: Mapping[str, str],
) -> str | None:
    """The region or location the resource names, else its provider's, else the stack's."""
    package = type_.split(":", 1)[0]
    key = PROVIDER_REGION_KEY.get(package)
    if key is None or _aws_global(type_):
        return None
    own = ("region",) if package == "aws" else ("location", "region")
    for name in own:
        value = inputs.get(name)
        if isinstance(value, str) and value:
            return value
    if provider is not None:
        value = provider.get(key)
        if isinstance(value, str) and value:
            return value
    return default_regions.get(CLOUD_OF_PACKAGE[package])


def _aws_global(type_: str) -> bool:
    return (
        type_.startswith("aws:")
        and type_.split(":")[1].split("/", maxsplit=1)[0] in AWS_GLOBAL_SERVICES
    )


def location_of(type_: str, region: str | None) -> Location | None:
    """Where a resource in ``region`` keeps data; None when unknown or not a cloud."""
    if region is None or not is_known(region):
        return None
    cloud = CLOUD_OF_PACKAGE.get(type_.split(":", 1)[0])
    if cloud is None:
        return None
    value = region.lower().replace(" ", "")
    if value == "global":
        return Location("global", cloud)
    if cloud == "gcp":
        if value in GCP_MULTI_REGIONS:
            return Location("geo", "gcp", GCP_MULTI_REGIONS[value])
        if GCP_DUAL_REGION.match(value):
            geo = {"nam": "us", "eur": "eu", "asia": "apac"}[re.sub(r"\d+$", "", value)]
            return Location("geo", "gcp", geo)
        zone = GCP_ZONE.match(value)
        if zone:
            value = zone.group(1)
    return Location("cloud", cloud, value)


def tags_of(type_: str, inputs: Mapping[str, Any]) -> dict[str, str]:
    """Tags (AWS/Azure), labels (GCP) or inferplane labels (Kubernetes), known values only."""
    if type_.startswith("kubernetes:"):
        metadata = inputs.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
        return {
            k.removeprefix(K8S_LABEL_PREFIX): v
            for k, v in _pairs(labels).items()
            if k.startswith(K8S_LABEL_PREFIX)
        }
    raw = inputs.get("labels") if type_.startswith("gcp:") else inputs.get("tags")
    return _pairs(raw)


def _pairs(raw: object) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items() if isinstance(v, str) and is_known(v)}
    if isinstance(raw, list):  # aws.autoscaling.Group: [{key, value, propagateAtLaunch}]
        return {
            str(item["key"]): item["value"]
            for item in raw
            if isinstance(item, Mapping)
            and isinstance(item.get("key"), str)
            and isinstance(item.get("value"), str)
            and is_known(item["value"])
        }
    return {}


def normalize(
    type_: str,
    name: str,
    urn: str,
    inputs: Mapping[str, Any],
    *,
    provider: Mapping[str, Any] | None = None,
    default_regions: Mapping[str, str] | None = None,
    parent: str | None = None,
    dependencies: tuple[str, ...] = (),
) -> Resource:
    region = region_of(type_, inputs, provider, default_regions or {})
    return Resource(
        type=type_,
        name=name,
        urn=urn,
        properties=inputs,
        region=region,
        location=location_of(type_, region),
        tags=tags_of(type_, inputs),
        taggable=is_taggable(type_),
        parent=parent,
        dependencies=dependencies,
    )


def from_graph(graph: Graph, default_regions: Mapping[str, str] | None = None) -> list[Resource]:
    """Every custom resource of ``graph`` (components and providers are not checked),
    normalized; untaggable resources borrow a tagged sibling's tags."""
    providers = {r.urn: r.inputs for r in graph.resources if r.type.startswith("pulumi:providers:")}
    resources = [
        _from_graph_resource(r, providers, default_regions or {})
        for r in graph.resources
        if r.custom and not r.type.startswith("pulumi:")
    ]
    return inherit_tags(resources)


def _from_graph_resource(
    resource: GraphResource,
    providers: Mapping[str, Mapping[str, Any]],
    default_regions: Mapping[str, str],
) -> Resource:
    provider = None
    if resource.provider and resource.provider != UNKNOWN:
        provider = providers.get(resource.provider.rsplit("::", 1)[0])
    return normalize(
        resource.type,
        resource.name,
        resource.urn,
        resource.inputs,
        provider=provider,
        default_regions=default_regions,
        parent=resource.parent,
        dependencies=tuple(resource.dependencies),
    )


def inherit_tags(resources: list[Resource]) -> list[Resource]:
    """An IAM role policy or a Lambda URL takes no tags; residency rules judge it by the
    tags of the component it belongs to, i.e. its first tagged sibling."""
    by_parent: dict[str, Mapping[str, str]] = {}
    for resource in resources:
        if resource.tags and resource.parent and resource.parent not in by_parent:
            by_parent[resource.parent] = resource.tags
    return [_borrow(r, by_parent.get(r.parent or "")) for r in resources]


def _borrow(resource: Resource, sibling_tags: Mapping[str, str] | None) -> Resource:
    if resource.tags or resource.taggable or not sibling_tags:
        return resource
    return replace(resource, tags=sibling_tags, inherited_tags=True)


def stack_from_graph(
    graph: Graph, spec: StackSpec | None = None, default_regions: Mapping[str, str] | None = None
) -> Stack:
    """The graph as the engine's Stack."""
    return Stack(graph.stack, from_graph(graph, default_regions), spec, components_of(graph))


def components_of(graph: Graph) -> list[Resource]:
    """The graph's component resources with their registered outputs as properties."""
    return [
        normalize(r.type, r.name, r.urn, r.outputs, parent=r.parent)
        for r in graph.resources
        if r.is_component
    ]
