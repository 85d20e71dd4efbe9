"""The GPU fleet's arguments checked before anything registers: each refusal names the
argument, the bad value and what is allowed."""

from __future__ import annotations

import re

from inferplane.components.aws.checks import (
    botocore_enum,
    check_choice,
    check_range,
    check_region,
)
from inferplane.components.aws.gpu_capacity import CapacityMix, check_capacity
from inferplane.components.aws.gpu_fleet.args import PREFERENCES, GpuFleetArgs
from inferplane.components.container import ContainerSpec

__all__ = ["capacity_mix", "check", "plain_env"]

_PROMETHEUS_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
_ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"
_HOSTNAME = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def check(args: GpuFleetArgs) -> None:
    """Refuse arguments the fleet cannot honour (a ``ValueError`` naming the argument)."""
    check_region("region", args.region)
    _check_instance_types(args)
    _check_queue(args)
    _check_sizes(args)
    _check_market(args)
    _check_reservations(args)
    _check_tls(args)
    _check_network(args)
    _check_container(args.container)


def capacity_mix(args: GpuFleetArgs) -> CapacityMix:
    """The fleet's market mix, as ``gpu_capacity`` takes it."""
    return CapacityMix(
        instance_type=args.instance_type,
        extra_instance_types=args.extra_instance_types,
        on_demand_base=args.on_demand_base,
        spot_percentage=args.spot_percentage,
        allocation=args.spot_allocation,
        on_demand_fallback=args.on_demand_fallback,
        max_size=args.max_size,
    )


def plain_env(container: ContainerSpec) -> dict[str, str]:
    """The container's environment as plain strings: user data is rendered at plan time,
    so a value known only at deploy time (an Output) cannot reach it."""
    env: dict[str, str] = {}
    for key, value in container.env.items():
        if not isinstance(value, str):
            raise ValueError(
                f"container.env[{key!r}]: {type(value).__name__} is not a plain string; the"
                " GPU fleet writes its environment into the launch template's user data"
            )
        env[key] = value
    return env


def _check_instance_types(args: GpuFleetArgs) -> None:
    types = botocore_enum("ec2", "InstanceType")
    for key, instance_type in [
        ("instance_type", args.instance_type),
        *(("extra_instance_types", t) for t in args.extra_instance_types),
    ]:
        check_choice(key, instance_type, types)
        if instance_type[:1] not in ("g", "p"):
            raise ValueError(f"{key}: {instance_type!r} is not a GPU instance type (g*, p*)")


def _check_queue(args: GpuFleetArgs) -> None:
    if args.queue_metric is None:
        return
    if not re.match(_PROMETHEUS_NAME, args.queue_metric):
        raise ValueError(
            f"queue_metric: {args.queue_metric!r} is not a Prometheus metric name"
            " ([a-zA-Z_:][a-zA-Z0-9_:]*)"
        )
    if not args.target_queue > 0:
        raise ValueError(f"target_queue: {args.target_queue} must be > 0")


def _check_sizes(args: GpuFleetArgs) -> None:
    check_range("volume_gib", args.volume_gib, 20, 16384)
    check_range("max_size", args.max_size, 1, 1000)
    check_range("min_size", args.min_size, 0, args.max_size)
    if args.desired is not None and not args.min_size <= args.desired <= args.max_size:
        raise ValueError(
            f"desired: {args.desired} is not between min_size ({args.min_size}) and"
            f" max_size ({args.max_size})"
        )


def _check_market(args: GpuFleetArgs) -> None:
    check_range("on_demand_base", args.on_demand_base, 0, args.max_size)
    check_range("spot_percentage", args.spot_percentage, 0, 100)
    check_capacity(capacity_mix(args))
    mixed = args.spot_percentage > 0 or bool(args.extra_instance_types)
    if args.warm_pool and mixed:
        raise ValueError(
            "warm_pool: Auto Scaling warm pools do not support mixed instances or spot;"
            " set spot_percentage 0 and no extra_instance_types, or drop the warm pool"
        )
    if args.target_requests <= 0:
        raise ValueError(f"target_requests: {args.target_requests} must be > 0")


def _check_reservations(args: GpuFleetArgs) -> None:
    target, created = args.reservation, args.created_reservation
    if target is not None and created is not None:
        raise ValueError("reservation and created_reservation: choose one")
    if target is not None:
        check_choice("reservation.preference", target.preference, PREFERENCES)
        for rid in target.reservation_ids:
            if not rid.startswith("cr-"):
                raise ValueError(f"reservation.reservation_ids: {rid!r} is not an ODCR ID (cr-...)")
        if target.preference != "open" and not target.reservation_ids:
            raise ValueError(
                f"reservation.reservation_ids: empty with preference {target.preference!r};"
                " name the reservations or use 'open'"
            )
        if target.preference == "capacity-reservations-only" and args.spot_percentage:
            raise ValueError(
                "reservation.preference: 'capacity-reservations-only' cannot launch spot;"
                " set spot_percentage 0 or use 'capacity-reservations-first'"
            )
    if created is not None:
        check_range("created_reservation.instance_count", created.instance_count, 1, args.max_size)


def _check_tls(args: GpuFleetArgs) -> None:
    if (args.certificate_arn is None) != (args.domain_name is None):
        raise ValueError(
            "certificate_arn and domain_name: give both (HTTPS under the certificate's"
            " name) or neither (HTTP inside the VPC)"
        )
    certificate = args.certificate_arn
    if certificate is not None and not (
        re.match(_ACM_ARN, certificate) and certificate.split(":")[3] == args.region
    ):
        raise ValueError(
            f"certificate_arn: {args.certificate_arn!r} is not an ACM certificate ARN in"
            f" {args.region} (arn:aws:acm:{args.region}:<account>:certificate/<id>)"
        )
    if args.domain_name is not None and not re.match(_HOSTNAME, args.domain_name):
        raise ValueError(f"domain_name: {args.domain_name!r} is not a DNS name")


def _check_network(args: GpuFleetArgs) -> None:
    if args.vpc_id is not None and not args.subnet_ids:
        raise ValueError(
            f"subnet_ids: empty with vpc_id {args.vpc_id!r}; name the VPC's private subnets"
            " (default route through NAT), two Availability Zones or more"
        )


def _check_container(container: ContainerSpec) -> None:
    health = container.health_path
    if health is None:
        raise ValueError(
            "container.health_path: None; the fleet's load balancer health-checks an HTTP"
            " path of the model server (e.g. '/health')"
        )
    if not health.startswith("/"):
        raise ValueError(f"container.health_path: {health!r} must start with '/'")
    plain_env(container)
