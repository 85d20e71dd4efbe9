"""GPU fleet target kind: an inference engine on an EC2 Auto Scaling Group behind an
internal ALB, with its spot mix, network and TLS."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from inferplane.spec.base import SpecModel, Unique
from inferplane.spec.capacity import CapacityMode
from inferplane.spec.serving import Serving
from inferplane.spec.targets.aws.common import EC2_INSTANCE, AwsTarget, known_type

__all__ = ["FleetTls", "GpuFleetTarget", "Network", "SpotMix"]

_SECRET_ARN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$"
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SpotMix(SpecModel):
    """On-demand base capacity, spot above it."""

    on_demand_base: int = Field(default=1, ge=0)
    spot_percentage: int = Field(default=0, ge=0, le=100)
    """Share of capacity above the base that runs on spot."""
    instance_types: Unique[str] = ()
    """Extra instance types the pool may use, each with the primary's GPU count and
    memory per GPU and its CPU architecture (spot is reclaimed per type and zone)."""
    allocation: Literal["price-capacity-optimized", "capacity-optimized"] = (
        "price-capacity-optimized"
    )
    """Spot allocation strategy: the cheapest of the deepest pools, or the deepest pools
    whatever their price (fewer interruptions)."""
    on_demand_fallback: bool = False
    """A second, on-demand group fills the spot group's shortfall (desired minus in
    service) while spot is reclaimed or unavailable, and empties when spot returns."""

    @model_validator(mode="after")
    def _fallback_needs_spot(self) -> SpotMix:
        if self.on_demand_fallback and self.spot_percentage == 0:
            raise ValueError(
                "on_demand_fallback: the fleet runs no spot (spot_percentage 0);"
                " set spot_percentage above 0 or drop on_demand_fallback"
            )
        return self

    @field_validator("instance_types")
    @classmethod
    def _known_types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            known_type(value, "ec2", "InstanceType")
        return values


class Network(SpecModel):
    """Where fleet instances and their internal load balancer live. Absent: the stack
    creates a private network (VPC, private subnets, NAT per zone). Given: ``subnet_ids``
    are private subnets of ``vpc_id`` (two zones or more) whose default route is a NAT
    gateway; a Lambda router joins them."""

    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    subnet_ids: Unique[SubnetId] = ()

    @model_validator(mode="after")
    def _subnets_with_vpc(self) -> Network:
        if self.vpc_id is not None and not self.subnet_ids:
            raise ValueError("subnet_ids: name the VPC's private subnets (NAT egress)")
        if self.subnet_ids and self.vpc_id is None:
            raise ValueError("vpc_id: required with subnet_ids")
        return self


class FleetTls(SpecModel):
    """HTTPS on the fleet's internal ALB: an ACM certificate for ``domain`` (in the
    fleet's region); a private hosted zone in the VPC points ``domain`` at the ALB."""

    certificate_arn: str
    domain: str

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str) -> str:
        if not ACM_ARN.match(value):
            raise ValueError(f"{value!r} is not an ACM certificate ARN")
        return value

    @field_validator("domain")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        if not DNS_NAME.match(value):
            raise ValueError(f"{value!r} is not a lowercase DNS name")
        return value


class GpuFleetTarget(AwsTarget):
    """Self-hosted: vLLM/TGI/Ollama on an EC2 Auto Scaling Group behind an internal ALB."""

    kind: Literal["gpu_fleet"]
    instance_type: str
    serving: Serving
    spot: SpotMix = SpotMix()
    warm_pool: bool = False
    volume_gb: int | None = Field(default=None, ge=20, le=16384)
    network: Network = Network()
    tls: FleetTls | None = None
    """HTTPS listener; without it the ALB speaks HTTP, inside the VPC only, to callers its
    security group admits (the router)."""
    hf_token_secret: str | None = None
    """Secrets Manager secret ARN holding a Hugging Face token, for gated models."""
    scaling_signal: Literal["requests", "queue"] = "requests"
    """Target tracking on ALB requests per instance per minute, or on the engine's
    waiting requests per instance (the CloudWatch agent scrapes its Prometheus endpoint;
    vLLM, TGI, llama.cpp); ``scaling.target`` defaults to 60 or a quarter of the batch."""

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand", "reserved"})

    @field_validator("instance_type")
    @classmethod
    def _ec2_instance(cls, value: str) -> str:
        if not EC2_INSTANCE.match(value) or value.startswith("ml."):
            raise ValueError(f"{value!r} is not an EC2 instance type (<family>.<size>)")
        if value[0] not in "gp":
            raise ValueError(f"{value!r} is not a GPU instance type (g* or p* families)")
        return known_type(value, "ec2", "InstanceType")

    @model_validator(mode="after")
    def _queue_from_the_engine(self) -> GpuFleetTarget:
        from inferplane.catalog.engine_metrics import ENGINE_METRICS

        if self.scaling_signal == "queue" and "queue" not in ENGINE_METRICS.get(
            self.serving.engine, {}
        ):
            engines = ", ".join(sorted(ENGINE_METRICS))
            raise ValueError(
                f"scaling_signal 'queue': engine {self.serving.engine!r} publishes no queue"
                f" gauge; allowed with engines {engines}, or scaling_signal: requests"
            )
        return self

    @model_validator(mode="after")
    def _one_spot_pool(self) -> GpuFleetTarget:
        from inferplane.catalog.spot_pool import spot_pool_issue

        issue = spot_pool_issue(self.instance_type, self.spot.instance_types)
        if issue is not None:
            raise ValueError(f"spot.instance_types: {issue}")
        return self

    @model_validator(mode="after")
    def _certificate_in_region(self) -> GpuFleetTarget:
        if self.tls is not None and self.tls.certificate_arn.split(":")[3] != self.region:
            raise ValueError(
                f"tls.certificate_arn: the certificate is not in the fleet's region"
                f" {self.region!r}; an ALB uses an ACM certificate of its own region"
            )
        return self

    @field_validator("hf_token_secret")
    @classmethod
    def _secret_arn(cls, value: str | None) -> str | None:
        if value is not None and not re.match(_SECRET_ARN, value):
            raise ValueError(f"{value!r} is not a Secrets Manager secret ARN")
        return value
