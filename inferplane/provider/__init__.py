"""inferplane's components as a Pulumi component provider (``provider/PulumiPlugin.yaml``),
so TypeScript, Go, .NET and YAML programs use them through ``pulumi package add``.

The schema is inferred by Pulumi's own analyzer (``pulumi.provider.experimental``) from
analyzable views of the components (``inferplane.provider.views``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi

from inferplane import __version__
from inferplane.provider.views import PACKAGE, component_view

__all__ = ["PACKAGE", "main", "public_components", "views"]


def public_components() -> list[type[pulumi.ComponentResource]]:
    """Every concrete component under ``inferplane.components``: a ComponentResource
    defined there whose own ``__init__`` is ``(name, args, ...)`` (bases such as
    SageMakerBase take more); sorted by name."""
    import inferplane.components as package

    found: dict[str, type[pulumi.ComponentResource]] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, pulumi.ComponentResource)
                and value.__module__ == module.__name__
                and "__init__" in vars(value)
                and list(inspect.signature(value.__init__).parameters)[1:3] == ["name", "args"]
            ):
                found[value.__name__] = value
    return [found[name] for name in sorted(found)]


def views() -> list[type[pulumi.ComponentResource]]:
    return [component_view(c) for c in public_components()]


def main() -> None:
    """The provider's entry point (``provider/__main__.py``)."""
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(views(), name=PACKAGE, version=__version__)
