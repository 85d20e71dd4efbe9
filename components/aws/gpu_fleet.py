"""GpuFleet: a self-hosted model server (vLLM, TGI, Ollama) on an EC2 Auto Scaling Group
behind an internal Application Load Balancer.

Network: the fleet runs in the private subnets of a ``PrivateNetwork`` it creates (NAT per
zone: images and weights come from the internet), or in the VPC and private subnets the
spec names (their default route must be a NAT gateway). The ALB is internal and admits
no one by default: callers are admitted by security group (the stack's router, see
``admit``). Without a certificate it listens on HTTP inside the VPC; with ``tls`` on
HTTPS 443 under a name of the operator's domain (ACM cannot certify the ALB's
``elb.amazonaws.com`` name), resolved in the VPC by a private hosted zone.

The launch template boots the Deep Learning AMI (looked up through its public SSM
parameter), requires IMDSv2, encrypts its EBS volume (sized by the caller for the weights)
and has no public IP; its user data starts the engine's container from the command the
serving block rendered. The group mixes an on-demand base with spot above it over types
of equal GPUs and the zones (``gpu_capacity``, which can add an on-demand fallback group
for what spot cannot give: docs/capacity.md), can keep a warm pool of stopped,
already-downloaded instances, refreshes instances when the template changes, and targets
capacity reservations (existing ODCRs, or one the stack creates with an end date). The
ALB health-checks the engine's own health path; the group tracks ALB requests per target.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.aws.gpu_capacity import (
    CapacityMix,
    OnDemandFallback,
    check_capacity,
    mixed_instances_policy,
)
from components.aws.network import PrivateNetwork, PrivateNetworkArgs
from components.aws.shared import (
    Statement,
    assume_role_policy,
    botocore_enum,
    check_choice,
    check_range,
    check_region,
    physical_name,
    policy_document,
)
from components.base import EndpointInfo, Labels, TargetComponent
from components.shell import comment, quote
from components.wiring import Reach
from inferplane.catalog.engine import EngineCommand

__all__ = [
    "DLAMI_PARAMETERS",
    "CreatedReservation",
    "GpuFleet",
    "GpuFleetArgs",
    "ReservationTarget",
    "render_user_data",
]

# Public SSM parameters of the Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04):
# NVIDIA driver, Docker and the NVIDIA container toolkit preinstalled.
_DLAMI = "base-oss-nvidia-driver-gpu-ubuntu-22.04"
DLAMI_PARAMETERS = {
    arch: f"/aws/service/deeplearning/ami/{arch}/{_DLAMI}/latest/ami-id"
    for arch in ("x86_64", "arm64")
}
ROOT_DEVICE = "/dev/sda1"  # the DLAMI's root device
PREFERENCES = ("open", "capacity-reservations-first", "capacity-reservations-only")
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
MODEL_CACHE = "/opt/models"
QUEUE_NAMESPACE = "Inferplane/GpuFleet"
"""CloudWatch namespace of the queue metric; its one dimension is ``Fleet`` (the
fleet's name prefix), known before the group exists."""
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
_CW_ETC = "/opt/aws/amazon-cloudwatch-agent/etc"
_PROMETHEUS_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
_ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"
_HOSTNAME = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


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
    engine: EngineCommand
    """The model server: image, arguments, environment, port, health path."""
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


def _check(args: GpuFleetArgs) -> None:
    check_region("region", args.region)
    types = botocore_enum("ec2", "InstanceType")
    for key, instance_type in [
        ("instance_type", args.instance_type),
        *(("extra_instance_types", t) for t in args.extra_instance_types),
    ]:
        check_choice(key, instance_type, types)
        if instance_type[:1] not in ("g", "p"):
            raise ValueError(f"{key}: {instance_type!r} is not a GPU instance type (g*, p*)")
    if args.queue_metric is not None:
        if not re.match(_PROMETHEUS_NAME, args.queue_metric):
            raise ValueError(
                f"queue_metric: {args.queue_metric!r} is not a Prometheus metric name"
                " ([a-zA-Z_:][a-zA-Z0-9_:]*)"
            )
        if not args.target_queue > 0:
            raise ValueError(f"target_queue: {args.target_queue} must be > 0")
    check_range("volume_gib", args.volume_gib, 20, 16384)
    check_range("max_size", args.max_size, 1, 1000)
    check_range("min_size", args.min_size, 0, args.max_size)
    if args.desired is not None and not args.min_size <= args.desired <= args.max_size:
        raise ValueError(
            f"desired: {args.desired} is not between min_size ({args.min_size}) and"
            f" max_size ({args.max_size})"
        )
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
    _check_reservations(args)
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
    if args.vpc_id is not None and not args.subnet_ids:
        raise ValueError(
            f"subnet_ids: empty with vpc_id {args.vpc_id!r}; name the VPC's private subnets"
            " (default route through NAT), two Availability Zones or more"
        )
    if not args.engine.health_path.startswith("/"):
        raise ValueError(f"engine.health_path: {args.engine.health_path!r} must start with '/'")


def capacity_mix(args: GpuFleetArgs) -> CapacityMix:
    return CapacityMix(
        instance_type=args.instance_type,
        extra_instance_types=args.extra_instance_types,
        on_demand_base=args.on_demand_base,
        spot_percentage=args.spot_percentage,
        allocation=args.spot_allocation,
        on_demand_fallback=args.on_demand_fallback,
        max_size=args.max_size,
    )


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


def render_user_data(
    engine: EngineCommand,
    region: str,
    model: str,
    hf_token_secret_arn: str | None = None,
    queue: tuple[str, str] | None = None,
) -> str:
    """The boot script: start the engine's container on all GPUs, weights cached on the
    encrypted root volume (so warm-pool restarts skip the download)."""
    env = {
        "HF_HOME": "/models",
        "HUGGINGFACE_HUB_CACHE": "/models/hub",
        "OLLAMA_MODELS": "/models/ollama",
        **engine.env,
    }
    env_flags = " ".join(f"-e {quote(f'{k}={v}')}" for k, v in sorted(env.items()))
    lines = [
        "#!/bin/bash",
        f"# inferplane GPU fleet: {comment(model, 'model')} ({comment(engine.image, 'image')})",
        "set -euo pipefail",
        f"mkdir -p {MODEL_CACHE}",
    ]
    token_flag = ""
    if hf_token_secret_arn:
        lines += [
            "HF_TOKEN=$(aws secretsmanager get-secret-value"
            f" --region {quote(region)} --secret-id {quote(hf_token_secret_arn)}"
            " --query SecretString --output text)",
            "export HF_TOKEN",
        ]
        token_flag = " -e HF_TOKEN"
    port = engine.port
    args = " ".join(quote(a) for a in engine.args)
    lines += [
        "docker rm -f model-server 2>/dev/null || true",
        "docker run -d --name model-server --restart unless-stopped --gpus all --ipc=host"
        f" -p {port}:{port} -v {MODEL_CACHE}:/models {env_flags}{token_flag}"
        f" {quote(engine.image)} {args}".rstrip(),
    ]
    ollama_model = engine.env.get("OLLAMA_MODEL")
    if ollama_model:
        # Ollama serves models it has pulled; OLLAMA_MODEL is ours, not Ollama's.
        lines += [
            f"until curl -sf http://127.0.0.1:{port}{engine.health_path}; do sleep 5; done",
            f"docker exec model-server ollama pull {quote(ollama_model)}",
        ]
    if queue is not None:
        lines += cloudwatch_agent_lines(queue[0], queue[1], port)
    return "\n".join(lines) + "\n"


def cloudwatch_agent_config(metric: str, fleet: str, port: int) -> tuple[str, str]:
    """(agent JSON, Prometheus scrape YAML): scrape the engine's ``/metrics`` on the
    instance every 15 s and publish ``metric`` (EMF) to ``QUEUE_NAMESPACE`` with the
    dimension ``Fleet=<fleet>`` added as a static label."""
    import json

    agent = {
        "agent": {"metrics_collection_interval": 15},
        "logs": {
            "metrics_collected": {
                "prometheus": {
                    "log_group_name": f"/inferplane/{fleet}/prometheus",
                    "prometheus_config_path": f"{_CW_ETC}/prometheus.yaml",
                    "emf_processor": {
                        "metric_namespace": QUEUE_NAMESPACE,
                        "metric_declaration": [
                            {
                                "source_labels": ["job"],
                                "label_matcher": "^model-server$",
                                "dimensions": [["Fleet"]],
                                "metric_selectors": [f"^{metric}$"],
                            }
                        ],
                    },
                }
            },
            "force_flush_interval": 5,
        },
    }
    scrape = json.dumps(  # JSON is YAML: one quoting story for both files
        {
            "global": {"scrape_interval": "15s", "scrape_timeout": "10s"},
            "scrape_configs": [
                {
                    "job_name": "model-server",
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{port}"], "labels": {"Fleet": fleet}}
                    ],
                }
            ],
        },
        sort_keys=True,
    )
    return json.dumps(agent, sort_keys=True), scrape


def cloudwatch_agent_lines(metric: str, fleet: str, port: int) -> list[str]:
    """Install the CloudWatch agent (AWS's .deb for the DLAMI's Ubuntu) and start it with
    ``cloudwatch_agent_config``; every value reaches the script through ``quote``."""
    agent, scrape = cloudwatch_agent_config(metric, fleet, port)
    package = (
        "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/"
        "$(dpkg --print-architecture)/latest/amazon-cloudwatch-agent.deb"
    )
    return [
        f'curl -fsSL -o /tmp/amazon-cloudwatch-agent.deb "{package}"',
        "dpkg -i -E /tmp/amazon-cloudwatch-agent.deb",
        f"mkdir -p {_CW_ETC}",
        f"printf '%s\\n' {quote(scrape, 'prometheus config')} > {_CW_ETC}/prometheus.yaml",
        f"printf '%s\\n' {quote(agent, 'agent config')} > {_CW_ETC}/inferplane.json",
        "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config"
        f" -m ec2 -s -c file:{_CW_ETC}/inferplane.json",
    ]


class GpuFleet(TargetComponent):
    """vLLM/TGI/Ollama on a GPU Auto Scaling Group behind an internal ALB."""

    url: pulumi.Output[str]
    """OpenAI-compatible base URL (internal ALB)."""
    alb_security_group_id: pulumi.Output[str]
    """Security group of the ALB: it admits only the groups passed to ``admit``."""
    listener_port: int
    """443 with a certificate, else 80."""
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    """The private subnets of the instances and the ALB (NAT egress)."""
    autoscaling_group_name: pulumi.Output[str]
    reservation_id: pulumi.Output[str | None]
    """The reservation the stack created, if any."""

    def __init__(
        self, name: str, args: GpuFleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:aws:GpuFleet", name, None, opts)
        self.args = args
        self._tags = args.labels.tags()
        region = args.region
        self.listener_port = 443 if args.certificate_arn else 80
        vpc_id, subnets = self._network(name)
        alb_sg, instance_sg = self._security_groups(name, vpc_id)
        template = self._launch_template(name, instance_sg)
        reservation = self._reservation(name)
        balancer, group_target = self._load_balancer(name, vpc_id, subnets, alb_sg)
        group = self._group(name, template, subnets, group_target, reservation)
        if args.queue_metric:
            tracking = aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=args.target_queue,
                customized_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationArgs(
                    metric_name=args.queue_metric,
                    namespace=QUEUE_NAMESPACE,
                    metric_dimensions=[
                        aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricDimensionArgs(
                            name="Fleet", value=args.name_prefix
                        )
                    ],
                    # Every instance reports its own queue: the average is per instance.
                    statistic="Average",
                ),
            )
        else:
            tracking = aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=args.target_requests,
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ALBRequestCountPerTarget",
                    resource_label=pulumi.Output.concat(
                        balancer.arn_suffix, "/", group_target.arn_suffix
                    ),
                ),
            )
        aws.autoscaling.Policy(
            f"{name}-queue-per-instance" if args.queue_metric else f"{name}-requests-per-target",
            autoscaling_group_name=group.name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=900,
            target_tracking_configuration=tracking,
            region=region,
            opts=self.child(),
        )

        base = args.engine.openai_base_path
        if args.domain_name is not None:
            self._private_name(name, args.domain_name, vpc_id, balancer)
            self.url = pulumi.Output.from_input(f"https://{args.domain_name}{base}")
        else:
            self.url = balancer.dns_name.apply(lambda dns: f"http://{dns}{base}")
        # Network-scoped: only security groups the ALB admits can open a connection.
        self.endpoint = pulumi.Output.all(self.url, vpc_id).apply(
            lambda both: EndpointInfo(
                backend="openai",
                model=args.model,
                url=both[0],
                region=region,
                auth={"scheme": "none"},
                reach=Reach(path="vpc", network=both[1]),
                grants=[],
            )
        )
        self._alb_sg = alb_sg
        self.alb_security_group_id = alb_sg.id
        self.vpc_id = vpc_id
        self.subnet_ids = subnets
        self.autoscaling_group_name = group.name
        self.reservation_id = reservation.id if reservation else pulumi.Output.from_input(None)
        self.register_target_outputs(
            url=self.url,
            alb_security_group_id=self.alb_security_group_id,
            listener_port=self.listener_port,
            vpc_id=self.vpc_id,
            subnet_ids=self.subnet_ids,
            autoscaling_group_name=self.autoscaling_group_name,
            reservation_id=self.reservation_id,
        )

    def _network(self, name: str) -> tuple[pulumi.Output[str], pulumi.Output[list[str]]]:
        """The spec's VPC and private subnets, else a private network of the fleet's own
        (the default VPC has no egress for instances without public IPs)."""
        args = self.args
        if args.vpc_id is not None:
            return (
                pulumi.Output.from_input(args.vpc_id),
                pulumi.Output.from_input(list(args.subnet_ids)),
            )
        network = PrivateNetwork(
            f"{name}-net",
            PrivateNetworkArgs(region=args.region, labels=args.labels),
            opts=self.child(),
        )
        return network.vpc_id, network.private_subnet_ids

    def admit(
        self, name: str, security_group_id: pulumi.Input[str], parent: pulumi.Resource
    ) -> aws.vpc.SecurityGroupIngressRule:
        """Let ``security_group_id`` (a caller in the fleet's VPC, e.g. the router) open
        connections to the ALB's listener; the rule belongs to ``parent``."""
        return aws.vpc.SecurityGroupIngressRule(
            name,
            description="inferplane: caller admitted to the GPU fleet's listener",
            security_group_id=self._alb_sg.id,
            referenced_security_group_id=security_group_id,
            from_port=self.listener_port,
            to_port=self.listener_port,
            ip_protocol="tcp",
            region=self.args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def _private_name(
        self,
        name: str,
        domain: str,
        vpc_id: pulumi.Output[str],
        balancer: aws.lb.LoadBalancer,
    ) -> None:
        """``domain`` -> the ALB, visible only inside the fleet's VPC."""
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=domain,
            comment=f"inferplane GPU fleet {self.args.name_prefix}",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=vpc_id, vpc_region=self.args.region)],
            tags=self._tags,
            opts=self.child(),
        )
        aws.route53.Record(
            f"{name}-alias",
            zone_id=zone.zone_id,
            name=domain,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=balancer.dns_name,
                    zone_id=balancer.zone_id,
                    evaluate_target_health=True,
                )
            ],
            opts=self.child(),
        )

    def _security_groups(
        self, name: str, vpc_id: pulumi.Output[str]
    ) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        port = self.args.engine.port
        # The ALB admits no one here: each caller is admitted by its group (``admit``).
        alb_sg = self._security_group(f"{name}-alb-sg", "load balancer", vpc_id)
        instance_sg = self._security_group(f"{name}-instance-sg", "instances", vpc_id)
        self._tcp_rule(
            f"{name}-alb-to-instances",
            "out",
            alb_sg,
            port,
            referenced_security_group_id=instance_sg.id,
        )
        self._tcp_rule(
            f"{name}-instances-from-alb",
            "in",
            instance_sg,
            port,
            referenced_security_group_id=alb_sg.id,
        )
        # Images and weights come over HTTPS (registries, Hugging Face, S3), through NAT.
        self._tcp_rule(
            f"{name}-instances-https-out", "out", instance_sg, 443, cidr_ipv4="0.0.0.0/0"
        )
        return alb_sg, instance_sg

    def _security_group(
        self, name: str, role: str, vpc_id: pulumi.Output[str]
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            name,
            description=f"inferplane GPU fleet {role}",
            vpc_id=vpc_id,
            region=self.args.region,
            tags=self._tags,
            opts=self.child(),
        )

    def _tcp_rule(
        self,
        name: str,
        direction: Literal["in", "out"],
        group: aws.ec2.SecurityGroup,
        port: int,
        **peer: pulumi.Input[str],
    ) -> None:
        """One TCP port of ``group``, to or from ``peer`` (a CIDR or another group)."""
        rule = (
            aws.vpc.SecurityGroupIngressRule
            if direction == "in"
            else aws.vpc.SecurityGroupEgressRule
        )
        rule(
            name,
            security_group_id=group.id,
            from_port=port,
            to_port=port,
            ip_protocol="tcp",
            region=self.args.region,
            tags=self._tags,
            opts=self.child(),
            **peer,
        )

    def _instance_profile(self, name: str) -> aws.iam.InstanceProfile:
        args = self.args
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description=f"GPU fleet instances of {args.name_prefix} ({args.region})",
            tags=self._tags,
            opts=self.child(),
        )
        # Session Manager instead of SSH: no key pair, no open port 22.
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm", role=role.name, policy_arn=SSM_CORE, opts=self.child()
        )
        if args.queue_metric:
            # The agent publishes EMF through CloudWatch Logs and PutMetricData.
            aws.iam.RolePolicyAttachment(
                f"{name}-cloudwatch-agent",
                role=role.name,
                policy_arn=CLOUDWATCH_AGENT_POLICY,
                opts=self.child(),
            )
        if args.hf_token_secret_arn:
            aws.iam.RolePolicy(
                f"{name}-read-token",
                role=role.id,
                policy=policy_document(
                    [
                        Statement(
                            sid="ReadModelToken",
                            actions=("secretsmanager:GetSecretValue",),
                            resources=[args.hf_token_secret_arn],
                        )
                    ]
                ),
                opts=self.child(),
            )
        return aws.iam.InstanceProfile(
            f"{name}-profile", role=role.name, tags=self._tags, opts=self.child()
        )

    def _launch_template(
        self, name: str, instance_sg: aws.ec2.SecurityGroup
    ) -> aws.ec2.LaunchTemplate:
        args = self.args
        image_id: pulumi.Input[str] = args.ami_id or (
            aws.ssm.get_parameter_output(
                name=DLAMI_PARAMETERS[args.architecture],
                region=args.region,
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).value
        )
        queue = (args.queue_metric, args.name_prefix) if args.queue_metric else None
        user_data = render_user_data(
            args.engine, args.region, args.model, args.hf_token_secret_arn, queue
        )
        profile = self._instance_profile(name)
        open_reservations = (
            aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                capacity_reservation_preference="open"
            )
            if args.reservation is not None and args.reservation.preference == "open"
            else None
        )
        return aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"inferplane {args.name_prefix}: {args.model}",
            image_id=image_id,
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            user_data=base64.b64encode(user_data.encode()).decode(),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # 1 hop: the containers cannot reach the instance's credentials.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    security_groups=[instance_sg.id],
                    delete_on_termination="true",
                )
            ],
            capacity_reservation_specification=open_reservations,
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=self._tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            update_default_version=True,
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )

    def _reservation(self, name: str) -> aws.ec2.CapacityReservation | None:
        args, created = self.args, self.args.created_reservation
        if created is None:
            return None
        zone: pulumi.Input[str] = created.availability_zone or (
            aws.get_availability_zones_output(
                state="available", region=args.region, opts=pulumi.InvokeOutputOptions(parent=self)
            ).names.apply(lambda names: names[0])
        )
        tags = dict(self._tags)
        if created.end_date is not None:
            tags["capacity-end-date"] = created.end_date.isoformat()
        if created.approval:
            tags["capacity-approval"] = created.approval
        return aws.ec2.CapacityReservation(
            f"{name}-reservation",
            instance_type=args.instance_type,
            instance_platform="Linux/UNIX",
            availability_zone=zone,
            instance_count=created.instance_count,
            # Targeted: only this group's instances consume it.
            instance_match_criteria="targeted",
            end_date_type="limited" if created.end_date else "unlimited",
            end_date=_end_of_day(created.end_date) if created.end_date else None,
            ebs_optimized=True,
            region=args.region,
            tags=tags,
            opts=self.child(),
        )

    def _load_balancer(
        self,
        name: str,
        vpc_id: pulumi.Output[str],
        subnets: pulumi.Output[list[str]],
        alb_sg: aws.ec2.SecurityGroup,
    ) -> tuple[aws.lb.LoadBalancer, aws.lb.TargetGroup]:
        args, engine = self.args, self.args.engine
        balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=physical_name(args.name_prefix, "alb", 32),
            internal=True,
            load_balancer_type="application",
            security_groups=[alb_sg.id],
            subnets=subnets,
            drop_invalid_header_fields=True,
            # Long generations stream for minutes; the default 60 s would cut them.
            idle_timeout=600,
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )
        target = aws.lb.TargetGroup(
            f"{name}-tg",
            port=engine.port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=vpc_id,
            deregistration_delay=120,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=engine.health_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )
        aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=balancer.arn,
            port=self.listener_port,
            protocol="HTTPS" if args.certificate_arn else "HTTP",
            certificate_arn=args.certificate_arn,
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06" if args.certificate_arn else None,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target.arn)
            ],
            region=args.region,
            tags=self._tags,
            opts=self.child(),
        )
        return balancer, target

    def _group(
        self,
        name: str,
        template: aws.ec2.LaunchTemplate,
        subnets: pulumi.Output[list[str]],
        target: aws.lb.TargetGroup,
        created: aws.ec2.CapacityReservation | None,
    ) -> aws.autoscaling.Group:
        args = self.args
        # Each new template version is a new group input: that starts an instance refresh.
        version = template.latest_version.apply(str)
        mix = capacity_mix(args)
        spot = args.spot_percentage > 0
        launch_template = None
        mixed_policy = None
        if mix.mixed:
            mixed_policy = mixed_instances_policy(mix, template.id, version, spot=True)
        else:
            launch_template = aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=version
            )
        group = aws.autoscaling.Group(
            f"{name}-asg",
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired if args.desired is not None else args.min_size,
            launch_template=launch_template,
            mixed_instances_policy=mixed_policy,
            # Spot: replace an instance at EC2's rebalance recommendation, in whichever
            # zone has capacity.
            capacity_rebalance=spot,
            availability_zone_distribution=aws.autoscaling.GroupAvailabilityZoneDistributionArgs(
                capacity_distribution_strategy="balanced-best-effort"
            )
            if spot
            else None,
            capacity_reservation_specification=self._reservation_spec(created),
            warm_pool=aws.autoscaling.GroupWarmPoolArgs(
                pool_state="Stopped",
                min_size=0,
                instance_reuse_policy=aws.autoscaling.GroupWarmPoolInstanceReusePolicyArgs(
                    reuse_on_scale_in=True
                ),
            )
            if args.warm_pool
            else None,
            region=args.region,
            # Target tracking owns the running size; a later deploy must not reset it.
            opts=self.child(ignore_changes=["desired_capacity"]),
            **self._serving_group(subnets, target, spot),
        )
        if args.on_demand_fallback:
            OnDemandFallback(
                name,
                mix=mix,
                spot_group=group,
                group_args={
                    "mixed_instances_policy": mixed_instances_policy(
                        mix, template.id, version, spot=False
                    ),
                    **self._serving_group(subnets, target, spot),
                },
                region=args.region,
                tags=self._tags,
                opts=self.child(),
            )
        return group

    def _serving_group(
        self, subnets: pulumi.Output[list[str]], target: aws.lb.TargetGroup, spot: bool
    ) -> dict[str, Any]:
        """What the spot group and its on-demand fallback share: subnets over the zones,
        the ALB target group, health checks, refresh and maintenance."""
        args = self.args
        scales = args.max_size > args.min_size
        return {
            "vpc_zone_identifiers": subnets,
            "target_group_arns": [target.arn],
            "health_check_type": "ELB",
            # Model download and load take minutes; ELB checks start after this grace.
            "health_check_grace_period": 900,
            "default_instance_warmup": 900,
            "instance_refresh": aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=100 if scales else 50,
                    max_healthy_percentage=200 if scales else 100,
                    instance_warmup="900",
                    skip_matching=True,
                    auto_rollback=True,
                ),
            ),
            # Replacing a rebalanced or unhealthy spot instance: launch first, then
            # terminate, so serving capacity never dips while a model loads.
            "instance_maintenance_policy": aws.autoscaling.GroupInstanceMaintenancePolicyArgs(
                min_healthy_percentage=100, max_healthy_percentage=200
            )
            if spot
            else None,
            "enabled_metrics": [
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
            ],
            "tags": [
                aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=False)
                for k, v in self._tags.items()
            ],
        }

    def _reservation_spec(
        self, created: aws.ec2.CapacityReservation | None
    ) -> aws.autoscaling.GroupCapacityReservationSpecificationArgs | None:
        target = self.args.reservation
        if created is not None:
            ids: pulumi.Input[list[str]] = created.id.apply(lambda rid: [rid])
            preference = "capacity-reservations-first"
        elif target is not None and target.preference != "open":
            ids, preference = list(target.reservation_ids), target.preference
        else:
            return None  # no reservation, or "open" (set on the launch template)
        return aws.autoscaling.GroupCapacityReservationSpecificationArgs(
            capacity_reservation_preference=preference,
            capacity_reservation_target=aws.autoscaling.GroupCapacityReservationSpecificationCapacityReservationTargetArgs(
                capacity_reservation_ids=ids
            ),
        )


def _end_of_day(day: dt.date) -> str:
    """RFC 3339 end of ``day`` in UTC (AWS ends a limited reservation at that time)."""
    return f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
