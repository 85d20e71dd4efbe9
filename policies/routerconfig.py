"""Find the router's RouterConfig in a stack's resources, wherever the router runs:

- a Lambda function's environment variable ``INFERPLANE_ROUTER_CONFIG``
  (``environment.variables``),
- a container's env var of that name (Cloud Run ``envs``, Container Apps ``env``,
  Kubernetes ``env``: lists of ``{name, value}``),
- a Kubernetes ConfigMap key ``router.json``.

One walk over the properties covers all three shapes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from inferplane.policies.model import Resource
from inferplane.policies.values import SECRET, UNKNOWN
from inferplane.router.config import RouterConfig
from inferplane.router.contract import CONFIG_ENV, CONFIG_FILE

__all__ = ["CONFIG_KEY", "ENV_VAR", "FoundConfig", "find_router_configs"]

ENV_VAR = CONFIG_ENV
CONFIG_KEY = CONFIG_FILE
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


@dataclass(frozen=True)
class FoundConfig:
    """A router config in ``resource``: parsed, or why it could not be read."""

    resource: Resource
    path: str
    config: RouterConfig | None
    problem: str | None = None
    """``secret``, ``unknown`` or a parse error."""


def find_router_configs(resources: list[Resource]) -> Iterator[FoundConfig]:
    for resource in resources:
        for path, raw in _raw_configs(resource):
            yield _parse(resource, path, raw)


def _raw_configs(resource: Resource) -> Iterator[tuple[str, object]]:
    if ENV_VAR not in resource.properties_text and CONFIG_KEY not in resource.properties_text:
        return  # the cheap test first: one router among thousands of resources
    if resource.type == CONFIGMAP:
        data = resource.properties.get("data")
        if isinstance(data, Mapping) and CONFIG_KEY in data:
            yield f"data.{CONFIG_KEY}", data[CONFIG_KEY]
        return
    yield from _walk(resource.properties, "")


def _walk(value: object, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, Mapping):
        if value.get("name") == ENV_VAR and "value" in value:
            yield f"{path}.value".lstrip("."), value["value"]
            return
        for key, item in value.items():
            if key == ENV_VAR:
                yield f"{path}.{key}".lstrip("."), item
            else:
                yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}")


def _parse(resource: Resource, path: str, raw: object) -> FoundConfig:
    if raw == SECRET:
        return FoundConfig(resource, path, None, "secret")
    if raw == UNKNOWN or not isinstance(raw, str):
        return FoundConfig(resource, path, None, "unknown")
    try:
        return FoundConfig(resource, path, RouterConfig.from_json(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        return FoundConfig(
            resource, path, None, f"not a valid RouterConfig: {where}: {first['msg']}"
        )
