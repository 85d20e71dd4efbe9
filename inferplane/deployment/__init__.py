"""Spec -> components: the only place that knows how each spec entry becomes a component.

Each target kind maps to a builder ``(name, target, ctx) -> TargetComponent`` in the
submodule of its platform; the router is built last from the targets' outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from inferplane.components.base import TargetComponent
from inferplane.components.router import RouterService
from inferplane.deployment.context import DeployContext
from inferplane.spec import KINDS, StackSpec

__all__ = ["BUILDERS", "DeployContext", "Deployment", "deploy"]

BUILDERS: dict[str, str] = {
    "bedrock": "inferplane.deployment.aws:bedrock",
    "sagemaker": "inferplane.deployment.aws:sagemaker",
    "sagemaker_serverless": "inferplane.deployment.aws:sagemaker_serverless",
    "lambda": "inferplane.deployment.aws:lambda_function",
    "gpu_fleet": "inferplane.deployment.aws:gpu_fleet",
    "vertex": "inferplane.deployment.gcp:vertex",
    "cloud_run": "inferplane.deployment.gcp:cloud_run",
    "azure_ml": "inferplane.deployment.azure:azure_ml",
    "azure_openai": "inferplane.deployment.azure:azure_openai",
    "container_app": "inferplane.deployment.azure:container_app",
    "kubernetes": "inferplane.deployment.kubernetes:model_server",
    "edge": "inferplane.deployment.edge:edge_site",
}
ROUTER_BUILDER = "inferplane.deployment.router:router"
assert set(BUILDERS) == set(KINDS), "every target kind needs a builder"


@dataclass
class Deployment:
    """The components one stack created."""

    targets: dict[str, TargetComponent]
    router: RouterService


def _builder(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    builder: Callable[..., Any] = getattr(import_module(module), attr)
    return builder


def deploy(spec: StackSpec, ctx: DeployContext) -> Deployment:
    """Create every target of ``spec`` and the router that fronts them."""
    targets: dict[str, TargetComponent] = {}
    for name, target in spec.targets.items():
        targets[name] = _builder(BUILDERS[target.kind])(name, target, ctx)
    router = _builder(ROUTER_BUILDER)(targets, ctx)
    return Deployment(targets, router)
