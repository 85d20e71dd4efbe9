"""Builders for policy tests: resources as the components tag them, stacks, specs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from inferplane.components.base import Labels
from inferplane.policies.config import default_policy
from inferplane.policies.model import Context, Resource, Stack
from inferplane.policies.normalize import inherit_tags, normalize
from inferplane.spec import StackSpec, parse_spec, provider_regions

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "inferplane"
Props = dict[str, Any]


def stack_data(stack: str) -> dict[str, Any]:
    """A fresh copy of ``stacks/Pulumi.<stack>.yaml``'s config."""
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(data["config"])


def load_spec(stack: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> StackSpec:
    config = stack_data(stack)
    data = config["inferplane:spec"]
    if mutate is not None:
        mutate(data)
    return parse_spec(data, stack, provider_regions(config))


def tags(
    environment: str = "prod",
    zone: str = "us",
    data_class: str | None = "confidential",
    target: str | None = "claude",
    **more: str,
) -> dict[str, str]:
    labels = Labels(environment, "ml-platform", "cc-4711", zone)
    if data_class is not None and target is not None:
        labels = labels.for_target(target, data_class)
    elif data_class is not None:
        labels = Labels(environment, "ml-platform", "cc-4711", zone, data_class=data_class)
    return labels.tags(**more)


def urn(
    type_: str, name: str, parent_type: str = "inferplane:aws:Target", stack: str = "test"
) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{parent_type}${type_}::{name}"


def resource(
    type_: str,
    name: str,
    props: Props,
    *,
    region: str | None = None,
    parent: str | None = None,
    dependencies: tuple[str, ...] = (),
    parent_type: str = "inferplane:aws:Target",
) -> Resource:
    """A normalized resource; ``region`` stands for the provider's default region."""
    cloud = {"aws": "aws", "gcp": "gcp", "azure-native": "azure"}.get(
        type_.split(":", maxsplit=1)[0]
    )
    defaults = {cloud: region} if cloud and region else {}
    return normalize(
        type_,
        name,
        urn(type_, name, parent_type),
        props,
        default_regions=defaults,
        parent=parent,
        dependencies=dependencies,
    )


def stack(resources: list[Resource], spec: StackSpec | None = None) -> Stack:
    return Stack("test", inherit_tags(resources), spec)


def context(spec: StackSpec | None = None, **policy: Any) -> Context:
    org = default_policy()
    if policy:
        org = org.model_copy(update=policy)
    return Context(org, spec)


def deep_set(props: Mapping[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.0.c`` in nested dicts/lists (creating dicts on the way)."""
    steps = path.split(".")
    node: Any = props
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
    last = steps[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def deep_del(props: Mapping[str, Any], path: str) -> None:
    steps = path.split(".")
    node: Any = props
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    del node[steps[-1]]
