"""What every inferplane component shares: labels (tags) from one place, and the outputs
the router needs from a target.

Every target component subclasses ``TargetComponent`` and sets ``self.endpoint`` (how the
router reaches it, authenticates and what it must be granted) before calling
``register_target_outputs``; ``invoke_arns`` is derived from the endpoint's AWS grants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import pulumi

from components.wiring import Grant, Reach

__all__ = ["EndpointInfo", "Labels", "TargetComponent"]


class EndpointInfo(TypedDict, total=False):
    """How the router reaches a target (the fields of ``router.config.TargetConfig``)."""

    backend: str
    """openai, azure_openai, bedrock, sagemaker, vertex or anthropic."""
    model: str
    url: str
    endpoint_name: str
    region: str
    auth: dict[str, Any]
    """How a caller authenticates: ``router.config.TargetAuth`` as a dict (wiring)."""
    reach: Reach
    """How it is reached on the network (wiring)."""
    grants: list[Grant]
    """What the caller's identity must be granted (wiring)."""
    replicas: dict[str, Any]
    """Where the router finds the replicas one by one (``router.config.ReplicaConfig``
    fields ``dns``, ``port``, ``path``): a headless Kubernetes Service."""


@dataclass(frozen=True)
class Labels:
    """The tags every resource carries. ``data_class`` is the strictest class a target
    may receive; ``target`` names the spec target the resource belongs to."""

    environment: str
    owner: str
    cost_center: str
    residency_zone: str
    data_class: str | None = None
    target: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def for_target(self, target: str, data_class: str) -> Labels:
        return replace(self, target=target, data_class=data_class)

    def tags(self, **more: str) -> dict[str, str]:
        """AWS / Azure tags."""
        tags = {
            "environment": self.environment,
            "owner": self.owner,
            "cost-center": self.cost_center,
            "residency-zone": self.residency_zone,
            "managed-by": "inferplane",
            **self.extra,
        }
        if self.data_class is not None:
            tags["data-class"] = self.data_class
        if self.target is not None:
            tags["inferplane-target"] = self.target
        tags.update(more)
        return dict(sorted(tags.items()))

    def gcp(self, **more: str) -> dict[str, str]:
        """GCP labels: lowercase keys and values of letters, digits, '_' and '-'."""
        return {_gcp_label(k): _gcp_label(v) for k, v in self.tags(**more).items()}

    def kubernetes(self, **more: str) -> dict[str, str]:
        """Kubernetes labels under the ``inferplane.dev/`` prefix."""
        return {f"inferplane.dev/{k}": _gcp_label(v) for k, v in self.tags(**more).items()}


def _gcp_label(value: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]


class TargetComponent(pulumi.ComponentResource):
    """A model deployment the router can call."""

    endpoint: pulumi.Output[EndpointInfo]
    """How the router reaches this target."""
    invoke_arns: pulumi.Output[list[str]]
    """AWS ARNs the router's identity must be allowed to invoke (empty off AWS): the
    resources of the endpoint's AWS ``grants``, kept for callers that want only ARNs."""

    def __init__(
        self,
        type_: str,
        name: str,
        props: dict[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(type_, name, props, opts)
        self.invoke_arns = pulumi.Output.from_input([])

    def child(self, **more: Any) -> pulumi.ResourceOptions:
        """Options for a child resource: parented to this component."""
        return pulumi.ResourceOptions(parent=self, **more)

    def register_target_outputs(self, **more: Any) -> None:
        self.invoke_arns = self.endpoint.apply(_aws_grant_arns)
        self.register_outputs({"endpoint": self.endpoint, "invoke_arns": self.invoke_arns, **more})


def _aws_grant_arns(endpoint: EndpointInfo) -> list[str]:
    arns = (
        arn
        for grant in endpoint.get("grants", [])
        if grant["cloud"] == "aws"
        for arn in grant["resources"]
    )
    return list(dict.fromkeys(arns))
