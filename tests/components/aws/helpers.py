"""What the AWS component tests share: labels, and readers for IAM documents and tags in
a recorded graph."""

from __future__ import annotations

import json
from typing import Any

from botocore.model import ServiceModel, StringShape

from inferplane.components.base import Labels
from inferplane.plan.graph import Graph, Resource

LABELS = Labels("prod", "ml-platform", "cc-4711", "us", data_class="confidential", target="t")
TAG_KEYS = {"environment", "owner", "cost-center", "residency-zone", "data-class", "managed-by"}


def enum_of(model: ServiceModel, shape: str) -> list[str]:
    """The allowed values of a string shape (ParamValidator leaves enums to the service)."""
    found = model.shape_for(shape)
    assert isinstance(found, StringShape), shape
    return list(found.enum)


def document(resource: Resource, key: str = "policy") -> dict[str, Any]:
    policy = resource.inputs[key]
    parsed: dict[str, Any] = json.loads(policy) if isinstance(policy, str) else policy
    return parsed


def statement_resources(resource: Resource, key: str = "policy") -> list[str]:
    """Every Resource of every statement of ``resource``'s policy document."""
    found: list[str] = []
    for statement in document(resource, key)["Statement"]:
        value = statement["Resource"]
        found += [value] if isinstance(value, str) else value
    return found


def component(graph: Graph, type_: str) -> Resource:
    [found] = [r for r in graph.resources if r.type == type_]
    return found


def untagged_aws(graph: Graph) -> list[str]:
    """AWS resources that take tags but miss one of the labels' keys."""
    missing = []
    for resource in graph.resources:
        tags = resource.inputs.get("tags")
        if not resource.type.startswith("aws:") or tags is None:
            continue
        keys = {t["key"] for t in tags} if isinstance(tags, list) else set(tags)
        if not keys >= TAG_KEYS:
            missing.append(resource.name)
    return missing


def regionless(graph: Graph) -> list[str]:
    """Regional AWS resources that do not set ``region`` explicitly (IAM is global)."""
    return [
        r.name
        for r in graph.resources
        if r.custom
        and r.type.startswith("aws:")
        and not r.type.startswith("aws:iam/")
        and "region" not in r.inputs
    ]
