"""What every part of a fleet is created with: the fleet's logical name, its arguments,
its tags and the component its resources belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from inferplane.components.aws.gpu_fleet.args import GpuFleetArgs

__all__ = ["FleetScope"]


@dataclass(frozen=True)
class FleetScope:
    """One fleet's name, arguments, tags and parent component."""

    name: str
    """Logical name of the fleet; its resources are named ``<name>-<part>``."""
    args: GpuFleetArgs
    """The fleet's (checked) arguments."""
    tags: dict[str, str]
    """Tags of every resource."""
    parent: pulumi.Resource
    """The GpuFleet component."""

    def child(self, **more: Any) -> pulumi.ResourceOptions:
        """Options for a resource of the fleet: parented to the component."""
        return pulumi.ResourceOptions(parent=self.parent, **more)

    def invoke(self) -> pulumi.InvokeOutputOptions:
        """Options for a lookup made on the fleet's behalf."""
        return pulumi.InvokeOutputOptions(parent=self.parent)
