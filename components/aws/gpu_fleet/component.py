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

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.args import GpuFleetArgs
from inferplane.components.aws.gpu_fleet.checks import check
from inferplane.components.aws.gpu_fleet.group import auto_scaling_group, created_reservation
from inferplane.components.aws.gpu_fleet.launch_template import launch_template
from inferplane.components.aws.gpu_fleet.load_balancer import load_balancer, private_name
from inferplane.components.aws.gpu_fleet.network import (
    admit_rule,
    fleet_network,
    security_groups,
)
from inferplane.components.aws.gpu_fleet.scaling import scaling_policy
from inferplane.components.aws.gpu_fleet.scope import FleetScope
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.wiring import Reach

__all__ = ["GpuFleet"]


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
        check(args)
        super().__init__("inferplane:aws:GpuFleet", name, None, opts)
        self.args = args
        self._scope = scope = FleetScope(name, args, args.labels.tags(), self)
        self.listener_port = 443 if args.certificate_arn else 80
        self.vpc_id, self.subnet_ids = vpc_id, subnets = fleet_network(scope)
        self._alb_sg, instance_sg = security_groups(scope, vpc_id)
        template = launch_template(scope, instance_sg)
        reservation = created_reservation(scope)
        balancer, target = load_balancer(scope, vpc_id, subnets, self._alb_sg, self.listener_port)
        group = auto_scaling_group(scope, template, subnets, target, reservation)
        scaling_policy(scope, group, balancer, target)
        self.url = self._url(balancer)
        self.endpoint = self._endpoint()
        self.alb_security_group_id = self._alb_sg.id
        self.autoscaling_group_name = group.name
        self.reservation_id = reservation.id if reservation else pulumi.Output.from_input(None)
        self._register()

    def admit(
        self, name: str, security_group_id: pulumi.Input[str], parent: pulumi.Resource
    ) -> aws.vpc.SecurityGroupIngressRule:
        """Let ``security_group_id`` (a caller in the fleet's VPC, e.g. the router) open
        connections to the ALB's listener; the rule belongs to ``parent``."""
        return admit_rule(
            self._scope,
            name,
            alb_sg=self._alb_sg,
            listener_port=self.listener_port,
            caller=security_group_id,
            parent=parent,
        )

    def _url(self, balancer: aws.lb.LoadBalancer) -> pulumi.Output[str]:
        """The certificate's name (resolved inside the VPC), else the ALB's DNS name."""
        args, base = self.args, self.args.container.openai_base_path
        if args.domain_name is None:
            return balancer.dns_name.apply(lambda dns: f"http://{dns}{base}")
        private_name(self._scope, args.domain_name, self.vpc_id, balancer)
        return pulumi.Output.from_input(f"https://{args.domain_name}{base}")

    def _endpoint(self) -> pulumi.Output[EndpointInfo]:
        """Network-scoped: only security groups the ALB admits can open a connection."""
        args = self.args
        return pulumi.Output.all(self.url, self.vpc_id).apply(
            lambda both: EndpointInfo(
                backend="openai",
                model=args.model,
                url=both[0],
                region=args.region,
                auth={"scheme": "none"},
                reach=Reach(path="vpc", network=both[1]),
                grants=[],
            )
        )

    def _register(self) -> None:
        self.register_target_outputs(
            url=self.url,
            alb_security_group_id=self.alb_security_group_id,
            listener_port=self.listener_port,
            vpc_id=self.vpc_id,
            subnet_ids=self.subnet_ids,
            autoscaling_group_name=self.autoscaling_group_name,
            reservation_id=self.reservation_id,
        )
