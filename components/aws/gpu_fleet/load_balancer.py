"""The fleet's internal Application Load Balancer: a target group that health-checks the
model server's own health path, one listener (HTTPS 443 under the operator's certificate,
else HTTP 80 inside the VPC) and, with a certificate, the private DNS name it answers to."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.scope import FleetScope
from inferplane.components.aws.naming import physical_name

__all__ = ["TLS_POLICY", "load_balancer", "private_name"]

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def load_balancer(
    scope: FleetScope,
    vpc_id: pulumi.Output[str],
    subnets: pulumi.Output[list[str]],
    alb_sg: aws.ec2.SecurityGroup,
    listener_port: int,
) -> tuple[aws.lb.LoadBalancer, aws.lb.TargetGroup]:
    """The ALB and the target group the Auto Scaling group registers into."""
    args = scope.args
    balancer = aws.lb.LoadBalancer(
        f"{scope.name}-alb",
        name=physical_name(args.name_prefix, "alb", 32),
        internal=True,
        load_balancer_type="application",
        security_groups=[alb_sg.id],
        subnets=subnets,
        drop_invalid_header_fields=True,
        # Long generations stream for minutes; the default 60 s would cut them.
        idle_timeout=600,
        region=args.region,
        tags=scope.tags,
        opts=scope.child(),
    )
    target = _target_group(scope, vpc_id)
    _listener(scope, balancer, target, listener_port)
    return balancer, target


def private_name(
    scope: FleetScope, domain: str, vpc_id: pulumi.Output[str], balancer: aws.lb.LoadBalancer
) -> None:
    """``domain`` -> the ALB, visible only inside the fleet's VPC."""
    zone = aws.route53.Zone(
        f"{scope.name}-zone",
        name=domain,
        comment=f"inferplane GPU fleet {scope.args.name_prefix}",
        vpcs=[aws.route53.ZoneVpcArgs(vpc_id=vpc_id, vpc_region=scope.args.region)],
        tags=scope.tags,
        opts=scope.child(),
    )
    alias = aws.route53.RecordAliasArgs(
        name=balancer.dns_name, zone_id=balancer.zone_id, evaluate_target_health=True
    )
    aws.route53.Record(
        f"{scope.name}-alias",
        zone_id=zone.zone_id,
        name=domain,
        type="A",
        aliases=[alias],
        opts=scope.child(),
    )


def _target_group(scope: FleetScope, vpc_id: pulumi.Output[str]) -> aws.lb.TargetGroup:
    container = scope.args.container
    return aws.lb.TargetGroup(
        f"{scope.name}-tg",
        port=container.port,
        protocol="HTTP",
        target_type="instance",
        vpc_id=vpc_id,
        deregistration_delay=120,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            path=container.health_path,
            port="traffic-port",
            protocol="HTTP",
            matcher="200",
            interval=15,
            timeout=5,
            healthy_threshold=2,
            unhealthy_threshold=3,
        ),
        region=scope.args.region,
        tags=scope.tags,
        opts=scope.child(),
    )


def _listener(
    scope: FleetScope, balancer: aws.lb.LoadBalancer, target: aws.lb.TargetGroup, port: int
) -> None:
    certificate = scope.args.certificate_arn
    aws.lb.Listener(
        f"{scope.name}-listener",
        load_balancer_arn=balancer.arn,
        port=port,
        protocol="HTTPS" if certificate else "HTTP",
        certificate_arn=certificate,
        ssl_policy=TLS_POLICY if certificate else None,
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target.arn)
        ],
        region=scope.args.region,
        tags=scope.tags,
        opts=scope.child(),
    )
