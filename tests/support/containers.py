"""Changing a component's args in table tests whose cases name container fields flat
(``{"cpu": 3}``, ``{"port": 0}``) though they live in the args' ``ContainerSpec``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["changed"]

Args = TypeVar("Args", bound="DataclassInstance")

_RESOURCES = ("cpu", "memory_gib", "gpus")
_CONTAINER = ("image", "port", "command", "args", "env", "health_path", "openai_base_path")


def changed(args: Args, change: dict[str, Any]) -> Args:
    """``args`` with ``change`` applied: resources and container fields go to
    ``args.container`` (and its ``resources``), the rest to ``args`` itself."""
    rest = dict(change)
    sized = {k: rest.pop(k) for k in _RESOURCES if k in rest}
    spec = {k: rest.pop(k) for k in _CONTAINER if k in rest}
    container: Any = getattr(args, "container")  # noqa: B009 (any args with a container)
    container = replace(container, resources=replace(container.resources, **sized), **spec)
    return replace(args, container=container, **rest)
