"""AWS target kinds: Bedrock, SageMaker (real-time/async and serverless), Lambda, GPU fleet."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from inferplane.catalog.aws_limits import LOG_RETENTION_DAYS, SERVERLESS_MEMORY_MB
from inferplane.residency import Location
from inferplane.spec.base import ModelId, SpecModel, Unique
from inferplane.spec.capacity import CapacityMode, CommitmentTerm
from inferplane.spec.regions import geography
from inferplane.spec.serving import Serving
from inferplane.spec.targets.base import CloudTarget

__all__ = [
    "BedrockTarget",
    "FleetTls",
    "GpuFleetTarget",
    "Guardrail",
    "InvocationLogging",
    "LambdaTarget",
    "Network",
    "SageMakerServerlessTarget",
    "SageMakerTarget",
    "SpotMix",
]

_S3_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/[A-Za-z0-9!_.*()/-]*)?$"
_SECRET_ARN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$"
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SAGEMAKER_INSTANCE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
EC2_INSTANCE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


@cache
def _botocore_enum(service: str, shape: str) -> frozenset[str]:
    """Allowed values of an enum in botocore's model of ``service`` (moves with botocore)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = getattr(model.shape_for(shape), "enum", [])
    return frozenset(values)


def _known_type(value: str, service: str, shape: str) -> str:
    if value not in _botocore_enum(service, shape):
        raise ValueError(f"{value!r} is not a {service} instance type known to botocore")
    return value


class AwsTarget(CloudTarget):
    CLOUD = "aws"


_FOUNDATION_MODEL = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9._:-]+$")
_PROFILE_PREFIXES = ("us-gov", "us", "eu", "apac", "jp", "au", "ca", "global")


def _foundation_model_id(value: str) -> str:
    """A Bedrock foundation model ID (``provider.model-version``): what the Bedrock
    component invokes and grants. ARNs and profile IDs are derived from it, never given."""
    if value.startswith("arn:"):
        resource = value.split("/", 1)[-1]
        hint = ""
        if ":foundation-model/" in value:
            hint = f"; here: model: {resource}"
        elif ":inference-profile/" in value and "." in resource:
            hint = f"; here:{_profile_hint(resource)}"
        raise ValueError(
            "is an ARN: give the foundation model ID (provider.model-version, e.g. "
            f"anthropic.claude-3-haiku-20240307-v1:0){hint}. inferplane derives the ARNs, the "
            "inference profile from `inference` and provisioned throughput from `capacity`"
        )
    prefix, _, rest = value.partition(".")
    if prefix in _PROFILE_PREFIXES and _FOUNDATION_MODEL.match(rest):
        raise ValueError(f"is an inference profile ID:{_profile_hint(value)}")
    if not _FOUNDATION_MODEL.match(value):
        raise ValueError(
            "is not a Bedrock foundation model ID (provider.model-version, e.g. "
            "anthropic.claude-3-haiku-20240307-v1:0)"
        )
    return value


def _profile_hint(profile_id: str) -> str:
    prefix, _, model = profile_id.partition(".")
    inference = "global" if prefix == "global" else "geo"
    return f" set model: {model} and inference: {inference}"


BedrockModelId = Annotated[ModelId, AfterValidator(_foundation_model_id)]
"""A Bedrock foundation model ID, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``."""


class Guardrail(SpecModel):
    """A Bedrock guardrail: content filters and what to do with PII."""

    content_filter: Literal["low", "medium", "high"] = "high"
    pii: Literal["block", "anonymize", "off"] = "anonymize"


KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class InvocationLogging(SpecModel):
    """Bedrock model invocation logging to an encrypted, expiring bucket in the region.
    ``true``/``false`` in the spec are short for ``{enabled: true|false}``."""

    enabled: bool = True
    text: bool = False
    """Deliver full prompt and completion text. Off: metadata only (model, token
    counts, latency), so prompts are not retained unless the stack opts in."""
    expire_days: int = Field(default=30, ge=1, le=3650)
    """Days after which logged objects are deleted."""
    kms_key: str | None = None
    """KMS key ARN for the log bucket (its key policy must let Bedrock use it); SSE-S3
    when absent."""

    @field_validator("kms_key")
    @classmethod
    def _kms_arn(cls, value: str | None) -> str | None:
        if value is not None and not KMS_KEY_ARN.match(value):
            raise ValueError(
                f"{value!r} is not a KMS key ARN (arn:aws:kms:<region>:<acct>:key/<id>)"
            )
        return value


class BedrockTarget(AwsTarget):
    """Fully managed API: a foundation model on Amazon Bedrock."""

    kind: Literal["bedrock"]
    model: BedrockModelId
    inference: Literal["region", "geo", "global"] = "region"
    """``region``: the in-region model ID; ``geo``: a geographic cross-region profile
    (``us.``/``eu.``/``apac.``) that stays in the region's geography; ``global``: may be
    processed in any commercial region."""
    guardrail: Guardrail | None = None
    invocation_logging: InvocationLogging = InvocationLogging()

    @field_validator("invocation_logging", mode="before")
    @classmethod
    def _logging_switch(cls, value: object) -> object:
        return {"enabled": value} if isinstance(value, bool) else value

    CAPACITY_MODES: ClassVar[frozenset[CapacityMode]] = frozenset({"on_demand", "provisioned"})
    COMMITMENT_TERMS: ClassVar[frozenset[CommitmentTerm]] = frozenset(
        {"none", "1_month", "6_months"}
    )

    @model_validator(mode="after")
    def _provisioned_in_region(self) -> BedrockTarget:
        if self.capacity.mode == "provisioned" and self.inference != "region":
            raise ValueError(
                "provisioned throughput serves the in-region model; set inference: region"
            )
        return self

    @property
    def geography(self) -> str:
        return geography("aws", self.region)

    @property
    def model_ref(self) -> str:
        """The modelId to invoke: in-region ID or inference profile ID."""
        if self.inference == "geo":
            return f"{self.geography}.{self.model}"
        if self.inference == "global":
            return f"global.{self.model}"
        return self.model

    @property
    def location(self) -> Location:
        if self.inference == "geo":
            return Location("geo", "aws", self.geography)
        if self.inference == "global":
            return Location("global", "aws")
        return Location("cloud", "aws", self.region)


class SageMakerTarget(AwsTarget):
    """Managed hosting: a model container on a SageMaker real-time or async endpoint."""

    kind: Literal["sagemaker"]
    image: str = "tgi"
    """Container: ``tgi``, ``vllm``, ``lmi`` (the AWS Deep Learning Containers) or an ECR URI."""
    model_data: str | None = Field(default=None, pattern=_S3_URI)
    """``s3://`` URI of model artifacts; without it the container downloads ``model``."""
    instance_type: str
    mode: Literal["realtime", "async"] = "realtime"
    scaling_signal: Literal["invocations", "concurrency"] = "invocations"
    """Realtime target tracking on invocations per instance per minute, or on the
    high-resolution ``ConcurrentRequestsPerModel`` (in-flight requests: what an LLM
    container feels; ``scaling.target`` then counts requests, default 4)."""
    data_capture: bool = False
    deployment: Literal["rolling", "blue_green"] = "rolling"

    @field_validator("instance_type")
    @classmethod
    def _ml_instance(cls, value: str) -> str:
        if not SAGEMAKER_INSTANCE.match(value):
            raise ValueError(f"{value!r} is not a SageMaker instance type (ml.<family>.<size>)")
        return _known_type(value, "sagemaker", "ProductionVariantInstanceType")

    @model_validator(mode="after")
    def _realtime_not_zero(self) -> SageMakerTarget:
        if self.mode == "realtime" and self.scaling.min < 1:
            raise ValueError("scaling.min: a realtime endpoint keeps at least 1 instance")
        if self.mode == "async" and self.scaling_signal == "concurrency":
            raise ValueError(
                "scaling_signal 'concurrency': an async endpoint scales on its backlog; "
                "allowed: invocations (realtime only) or omit it"
            )
        return self

    @field_validator("model_data")
    @classmethod
    def _s3_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("s3://"):
            raise ValueError(f"{value!r} is not an s3:// URI")
        return value


class SageMakerServerlessTarget(AwsTarget):
    """Serverless SageMaker endpoint: CPU only, scales to zero, billed per request."""

    kind: Literal["sagemaker_serverless"]
    image: str = "tgi"
    model_data: str | None = Field(default=None, pattern=_S3_URI)
    memory_mb: int = 6144
    max_concurrency: int = Field(default=10, ge=1, le=200)
    provisioned_concurrency: int | None = Field(default=None, ge=1, le=200)

    @field_validator("memory_mb")
    @classmethod
    def _memory_step(cls, value: int) -> int:
        if value not in SERVERLESS_MEMORY_MB:
            allowed = ", ".join(map(str, SERVERLESS_MEMORY_MB))
            raise ValueError(f"{value} MB is not a serverless memory size; allowed: {allowed}")
        return value


class LambdaTarget(AwsTarget):
    """Serverless function that calls a Bedrock model; scales to zero."""

    kind: Literal["lambda"]
    model: BedrockModelId
    """The Bedrock foundation model the function calls (in its region)."""
    memory_mb: int = Field(default=512, ge=128, le=10240)
    timeout_s: int = Field(default=60, ge=1, le=900)
    reserved_concurrency: int | None = Field(default=None, ge=0, le=1000)
    log_retention_days: int = 30

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise ValueError(f"{value} days is not a CloudWatch retention; allowed: {allowed}")
        return value


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
            _known_type(value, "ec2", "InstanceType")
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
        return _known_type(value, "ec2", "InstanceType")

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
