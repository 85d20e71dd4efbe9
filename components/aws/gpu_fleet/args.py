"""What a GPU fleet is given: the instance type and its capacity mix, the model server's
container, the load balancer's certificate and the network."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from inferplane.components.base import Labels
from inferplane.components.container import ContainerSpec

__all__ = ["PREFERENCES", "CreatedReservation", "GpuFleetArgs", "ReservationTarget"]

PREFERENCES = ("open", "capacity-reservations-first", "capacity-reservations-only")


@dataclass(frozen=True)
class ReservationTarget:
    """Existing On-Demand Capacity Reservations the group launches into."""

    reservation_ids: tuple[str, ...] = ()
    """ODCR IDs (``cr-...``); empty with ``open`` uses any open reservation."""
    preference: Literal["open", "capacity-reservations-first", "capacity-reservations-only"] = (
        "capacity-reservations-first"
    )
    """``first``: reservations, then on-demand; ``only``: never outside them; ``open``:
    any matching open reservation (no targeting)."""


@dataclass(frozen=True)
class CreatedReservation:
    """A targeted capacity reservation the stack creates (and pays for while it exists)."""

    instance_count: int
    """Instances reserved (at most the group's max size)."""
    end_date: dt.date | None
    """Last day of the reservation (it ends at 00:00 UTC the next day); None: until deleted."""
    availability_zone: str | None = None
    """AZ of the reservation; the region's first available AZ when None."""
    approval: str | None = None
    """Change/approval reference for the commitment, tagged ``capacity-approval`` (the
    capacity policy IP-CAP-002 requires one on every reservation)."""


@dataclass(frozen=True)
class GpuFleetArgs:
    """A GPU Auto Scaling Group serving one model behind an internal ALB."""

    region: str
    """Region of every resource."""
    instance_type: str
    """EC2 GPU instance type (g*/p* family), one of botocore's InstanceType values."""
    container: ContainerSpec
    """The model server: image, entrypoint, arguments, plain-string environment, port and
    health path (``ContainerSpec.of_engine`` of the serving block's rendered command). The
    container gets every GPU of the instance: ``resources`` is the instance type's to decide."""
    model: str
    """Model name clients send (the router's ``model``)."""
    labels: Labels
    """Tags for every resource."""
    name_prefix: str
    """Prefix of physical names."""
    volume_gib: int = 100
    """Root EBS volume (OS, image and weights cache), 20..16384 GiB."""
    min_size: int = 1
    """Smallest group size."""
    max_size: int = 1
    """Largest group size."""
    desired: int | None = None
    """Initial size (min <= desired <= max); min when None."""
    on_demand_base: int = 1
    """Instances always on demand (reservations apply to these)."""
    spot_percentage: int = 0
    """Share of capacity above the base on spot (0..100)."""
    extra_instance_types: tuple[str, ...] = ()
    """More types the mixed-instances policy may launch (spot diversification), each
    with the primary's GPUs and architecture (``inferplane.catalog.spot_pool``)."""
    spot_allocation: str = "price-capacity-optimized"
    """Spot allocation strategy (``gpu_capacity.ALLOCATIONS``)."""
    on_demand_fallback: bool = False
    """An on-demand group sized to the spot group's shortfall (``gpu_capacity``)."""
    warm_pool: bool = False
    """Keep stopped, pre-initialised instances (not with spot or mixed types)."""
    reservation: ReservationTarget | None = None
    """Existing reservations to target."""
    created_reservation: CreatedReservation | None = None
    """A reservation to create and target."""
    target_requests: float = 60.0
    """Target ALB requests per instance per minute (without ``queue_metric``)."""
    queue_metric: str | None = None
    """The engine's Prometheus queue gauge (``vllm:num_requests_waiting``...): the
    CloudWatch agent on each instance scrapes it into ``QUEUE_NAMESPACE`` and the group
    tracks its per-instance average instead of the ALB request count."""
    target_queue: float = 16.0
    """Target waiting requests per instance (with ``queue_metric``)."""
    vpc_id: str | None = None
    """VPC of the fleet; the region's default VPC when None."""
    subnet_ids: tuple[str, ...] = ()
    """Private subnets (two AZs or more for the ALB); the VPC's subnets when empty."""
    ami_id: str | None = None
    """Pin an AMI; the Deep Learning AMI from SSM when None."""
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    """AMI architecture (arm64 for g5g)."""
    hf_token_secret_arn: str | None = None
    """Secrets Manager secret with a Hugging Face token (for gated models)."""
    certificate_arn: str | None = None
    """ACM certificate: the listener speaks HTTPS on 443 instead of HTTP on 80."""
    domain_name: str | None = None
    """The certificate's name for the fleet (required with ``certificate_arn``); a private
    hosted zone in the fleet's VPC points it at the ALB."""
    kms_key_arn: str | None = None
    """KMS key for the EBS volume; the account's EBS default key when None."""
