"""The resource graph an offline plan records: what the program asked the engine to create."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Graph", "Invoke", "Resource"]


@dataclass
class Resource:
    """One RegisterResource call, as the engine would have received it."""

    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    """Inputs by wire name (camelCase); secrets shown as ``[secret]``."""
    custom: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    """Outputs registered by a component (``register_outputs``)."""

    @property
    def is_component(self) -> bool:
        return not self.custom and not self.type.startswith("pulumi:")


@dataclass
class Invoke:
    token: str
    args: dict[str, Any]
    provider: str | None


@dataclass
class Graph:
    """Every resource and invoke of one offline run of the program, in registration order."""

    project: str
    stack: str
    resources: list[Resource] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def get(self, urn: str) -> Resource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "offline_synthesis": True,
            "project": self.project,
            "stack": self.stack,
            "resources": [asdict(r) for r in self.resources],
            "invokes": [asdict(i) for i in self.invokes],
            "stack_outputs": self.stack_outputs,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Graph:
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=[Resource(**r) for r in data["resources"]],
            invokes=[Invoke(**i) for i in data.get("invokes", [])],
            stack_outputs=data.get("stack_outputs", {}),
        )
