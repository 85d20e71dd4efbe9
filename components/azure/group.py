"""The resource group an Azure component lives in: the caller's, or its own."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure

__all__ = ["resource_group_name"]


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
