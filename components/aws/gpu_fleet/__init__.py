"""GpuFleet: a self-hosted model server on a GPU Auto Scaling Group behind an internal ALB
(``component``), built from one module per concept: its arguments (``args``) and their
checks (``checks``), the launch template (``launch_template``) and its boot script
(``user_data``), the instances' IAM identity (``instance_profile``), the network and
security groups with their HTTPS egress (``network``), the load balancer
(``load_balancer``), the Auto Scaling group and capacity reservations (``group``), the
scaling policy (``scaling``) and the CloudWatch agent behind queue scaling
(``queue_agent``)."""

from __future__ import annotations

from inferplane.components.aws.gpu_fleet.args import (
    PREFERENCES,
    CreatedReservation,
    GpuFleetArgs,
    ReservationTarget,
)
from inferplane.components.aws.gpu_fleet.checks import capacity_mix
from inferplane.components.aws.gpu_fleet.component import GpuFleet
from inferplane.components.aws.gpu_fleet.instance_profile import SSM_CORE
from inferplane.components.aws.gpu_fleet.launch_template import DLAMI_PARAMETERS, ROOT_DEVICE
from inferplane.components.aws.gpu_fleet.queue_agent import (
    CLOUDWATCH_AGENT_POLICY,
    QUEUE_NAMESPACE,
    cloudwatch_agent_config,
    cloudwatch_agent_lines,
)
from inferplane.components.aws.gpu_fleet.user_data import MODEL_CACHE, render_user_data

__all__ = [
    "CLOUDWATCH_AGENT_POLICY",
    "DLAMI_PARAMETERS",
    "MODEL_CACHE",
    "PREFERENCES",
    "QUEUE_NAMESPACE",
    "ROOT_DEVICE",
    "SSM_CORE",
    "CreatedReservation",
    "GpuFleet",
    "GpuFleetArgs",
    "ReservationTarget",
    "capacity_mix",
    "cloudwatch_agent_config",
    "cloudwatch_agent_lines",
    "render_user_data",
]
