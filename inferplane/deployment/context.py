"""What every spec-to-component builder receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from inferplane.components.base import Labels
from inferplane.errors import Issue, SpecError
from inferplane.residency import PLACEMENT_RANK
from inferplane.spec import StackSpec

__all__ = ["DeployContext", "required"]

Value = TypeVar("Value")


@dataclass(frozen=True)
class DeployContext:
    spec: StackSpec
    stack: str
    provider_regions: dict[str, str] = field(default_factory=dict)
    shared: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    """Components several builders share in one deployment (e.g. the stack's GCP network),
    created by the first builder that needs them."""

    @property
    def base_labels(self) -> Labels:
        spec = self.spec
        return Labels(
            spec.environment,
            spec.owner,
            spec.cost_center,
            spec.residency.zone,
            extra=dict(spec.tags),
        )

    def labels(self, target: str) -> Labels:
        """Labels for a target, tagged with the strictest data class it may receive."""
        allowed = self.spec.data_classes_routed_to(target)
        classes = self.spec.data_classes
        strictest = max(allowed, key=lambda c: PLACEMENT_RANK[classes[c].placement], default="none")
        return self.base_labels.for_target(target, strictest)

    def router_labels(self) -> Labels:
        """Labels of the router and what exists only for it (its network, its federated
        identities): tagged with the strictest data class it handles where it runs."""
        from inferplane.routerconfig import router_data_classes

        handled = router_data_classes(self.spec, self.provider_regions)
        classes = self.spec.data_classes
        strictest = max(handled, key=lambda c: PLACEMENT_RANK[classes[c].placement], default="none")
        return self.base_labels.for_target("router", strictest)

    def resource_name(self, target: str) -> str:
        """Physical-name prefix: ``<stack>-<target>``, short enough for every cloud."""
        return f"{self.stack}-{target}"[:40].rstrip("-")


def required(value: Value | None, key: str, ctx: DeployContext) -> Value:
    """``value`` of the spec key ``key``, which the spec checks require on the router's
    platform (``inferplane.spec.checks``); a SpecError naming it if it is missing."""
    if value is None:
        platform = ctx.spec.router.platform
        raise SpecError([Issue(key, f"required with router.platform {platform!r}")])
    return value
