"""StackSpec: the whole ``inferplane:spec`` block of one stack."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from inferplane.residency import PLACEMENT_RANK
from inferplane.spec.base import Name, SpecModel
from inferplane.spec.forecast import Forecast
from inferplane.spec.residency import DataClass, Residency
from inferplane.spec.router import RouterSpec
from inferplane.spec.routes import Route
from inferplane.spec.targets import Target, TargetBase

__all__ = ["Environment", "StackSpec"]

Environment = Literal["dev", "staging", "prod"]


class StackSpec(SpecModel):
    """Which models run where in one stack, how requests reach them, and who owns it."""

    environment: Environment
    owner: Name
    cost_center: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    residency: Residency
    data_classes: dict[Name, DataClass] = Field(min_length=1)
    default_data_class: str | None = None
    """Class of a request that names none; defaults to the strictest class."""
    targets: dict[Name, Target] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)
    router: RouterSpec
    forecast: Forecast | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra tags on every resource."""

    @property
    def strictest_data_class(self) -> str:
        return max(self.data_classes, key=lambda n: PLACEMENT_RANK[self.data_classes[n].placement])

    @property
    def request_default_data_class(self) -> str:
        return self.default_data_class or self.strictest_data_class

    def route_name(self, index: int) -> str:
        return self.routes[index].name or f"route-{index + 1}"

    def target(self, name: str) -> TargetBase:
        target: TargetBase = self.targets[name]
        return target

    def data_classes_routed_to(self, target: str) -> tuple[str, ...]:
        """Data classes that may reach ``target``: its allowed classes (see ``allowed``)."""
        from inferplane.spec.checks import allowed_data_classes

        return allowed_data_classes(self, target)
