"""What an Azure ML endpoint is given (``AzureMlEndpointArgs``) and the checks that refuse
what Azure ML would refuse, before anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from inferplane.components.azure.network import AzureNetwork

__all__ = ["AUTH_MODES", "SCALE_METRICS", "AzureMlEndpointArgs", "check_args"]

AUTH_MODES = {"key": "Key", "aad_token": "AADToken"}
SCALE_METRICS = {"cpu": "CpuUtilizationPercentage", "gpu": "GpuUtilizationPercentage"}
_ENDPOINT = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")
_WORKSPACE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")
_DEPLOYMENT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,31}$")
_INSTANCE = re.compile(r"^Standard_\w+$")
_NAMES = (
    ("workspace_name", _WORKSPACE, "3-33 letters, digits, '_' and '-'"),
    ("endpoint_name", _ENDPOINT, "3-32 letters, digits and '-', starting with a letter"),
    ("deployment_name", _DEPLOYMENT, "3-32 letters, digits and '-'"),
    ("instance_type", _INSTANCE, "a VM size like Standard_NC24ads_A100_v4"),
)


@dataclass
class AzureMlEndpointArgs:
    location: str
    """Azure region."""
    workspace_name: str
    """Workspace name (3-33 letters, digits, '_' and '-'); storage and key vault names
    derive from it."""
    endpoint_name: str
    """Endpoint name, unique in the region (3-32 letters, digits and '-')."""
    model: str
    """Model asset ID, e.g. ``azureml://registries/azureml/models/<name>/versions/<v>``."""
    instance_type: str = "Standard_NC24ads_A100_v4"
    """VM size of each instance."""
    deployment_name: str = "primary"
    """Name of the deployment on the endpoint."""
    auth: Literal["key", "aad_token"] = "aad_token"
    """Endpoint keys, or Microsoft Entra tokens."""
    min_instances: int = 1
    """Instances always running (managed deployments keep at least 1)."""
    max_instances: int = 1
    """Autoscale upper bound; equal to ``min_instances`` means no autoscale setting."""
    target_utilization: int = 70
    """Scale out above this utilisation (percent); scale in below half of it."""
    scale_metric: Literal["cpu", "gpu"] = "gpu"
    """Utilisation the autoscale setting tracks."""
    max_concurrent_requests: int = 1
    """Requests one instance receives at once (raise it for batching model servers)."""
    request_timeout_s: int = 90
    """Scoring request timeout in seconds (Azure ML allows up to 180)."""
    environment_variables: Mapping[str, str] = field(default_factory=dict)
    """Extra environment of the scoring container."""
    public_network_access: bool = False
    """Let the endpoint and workspace be reached from the internet."""
    private_network: AzureNetwork | None = None
    """The VNet whose private endpoint reaches the workspace (and so the endpoint);
    required when public network access is off."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``)."""


def check_args(args: AzureMlEndpointArgs) -> None:
    """Raise ValueError naming the field, the value and what is allowed."""
    if args.auth not in AUTH_MODES:
        raise ValueError(f"auth {args.auth!r} is not allowed; allowed: {', '.join(AUTH_MODES)}")
    if args.scale_metric not in SCALE_METRICS:
        raise ValueError(
            f"scale_metric {args.scale_metric!r} is not allowed; allowed: "
            f"{', '.join(SCALE_METRICS)}"
        )
    for key, pattern, rule in _NAMES:
        value = getattr(args, key)
        if not pattern.match(value):
            raise ValueError(f"{key} {value!r} is not allowed; use {rule}")
    _check_scaling(args)
    _check_requests(args)
    if not args.public_network_access and args.private_network is None:
        raise ValueError(
            "public_network_access is off and there is no private_network: nothing could "
            "reach the endpoint; give the VNet for the workspace's private endpoint, or "
            "turn public access on (callers still need an Entra token)"
        )


def _check_scaling(args: AzureMlEndpointArgs) -> None:
    if not 1 <= args.min_instances <= args.max_instances:
        raise ValueError(
            f"min_instances {args.min_instances} / max_instances {args.max_instances} are not "
            "allowed; need 1 <= min_instances <= max_instances"
        )
    if not 2 <= args.target_utilization <= 100:
        raise ValueError(
            f"target_utilization {args.target_utilization} is not allowed; use 2-100 (percent)"
        )


def _check_requests(args: AzureMlEndpointArgs) -> None:
    if not 1 <= args.request_timeout_s <= 180:
        raise ValueError(f"request_timeout_s {args.request_timeout_s} is not allowed; use 1-180")
    if args.max_concurrent_requests < 1:
        raise ValueError(
            f"max_concurrent_requests {args.max_concurrent_requests} is not allowed; use >= 1"
        )
