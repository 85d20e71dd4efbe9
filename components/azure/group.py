"""The resource group an Azure component lives in (the caller's, or its own), and the
``Placement`` every resource of the component is created with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure

__all__ = ["Placement", "place", "resource_group_name"]


def resource_group_name(
    owner: pulumi.ComponentResource,
    name: str,
    location: str,
    tags: Mapping[str, str],
    existing: pulumi.Input[str] | None,
) -> pulumi.Output[str]:
    """``existing``, or the name of a new resource group ``<name>-rg`` parented to
    ``owner`` (one group per target keeps its resources, tags and teardown together)."""
    if existing is not None:
        return pulumi.Output.from_input(existing)
    group = azure.resources.ResourceGroup(
        f"{name}-rg",
        location=location,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=owner),
    )
    return group.name


@dataclass(frozen=True)
class Placement:
    """Where an Azure component's resources go: children of ``owner`` named
    ``<name>-<part>``, in one resource group and location, carrying the component's tags."""

    owner: pulumi.ComponentResource
    name: str
    group: pulumi.Input[str]
    location: str
    tags: dict[str, str]

    def called(self, part: str) -> str:
        """The Pulumi name of the component's ``part`` (``<name>-<part>``)."""
        return f"{self.name}-{part}"

    def child(self, **more: Any) -> pulumi.ResourceOptions:
        """Options for a resource of the component: parented to it."""
        return pulumi.ResourceOptions(parent=self.owner, **more)


def place(
    owner: pulumi.ComponentResource,
    name: str,
    location: str,
    tags: Mapping[str, str],
    existing_group: pulumi.Input[str] | None,
) -> Placement:
    """The placement of ``owner``'s resources, in ``existing_group`` or a new ``<name>-rg``."""
    group = resource_group_name(owner, name, location, tags, existing_group)
    return Placement(owner, name, group, location, dict(tags))
