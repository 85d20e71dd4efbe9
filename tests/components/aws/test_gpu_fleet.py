from __future__ import annotations

import base64
import datetime as dt
import shlex
from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.aws.gpu_fleet import (
    CreatedReservation,
    GpuFleet,
    GpuFleetArgs,
    ReservationTarget,
    render_user_data,
)
from inferplane.components.container import ContainerSpec
from inferplane.serving.base import EngineCommand
from tests.components.aws.helpers import LABELS, component, regionless, untagged_aws
from tests.support.recording import one, record

VLLM = EngineCommand(
    "vllm/vllm-openai:v0.11.0",
    ("--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000", "--max-model-len", "16384"),
    {},
    8000,
    "/health",
)
BASE = GpuFleetArgs(
    region="us-east-1",
    instance_type="g5.2xlarge",
    container=ContainerSpec.of_engine(VLLM),
    model="meta-llama/Llama-3.1-8B-Instruct",
    labels=LABELS,
    name_prefix="p-llama",
    volume_gib=110,
    min_size=2,
    max_size=8,
    desired=2,
    on_demand_base=2,
    spot_percentage=50,
    reservation=ReservationTarget(("cr-0a1b2c3d4e5f60718",)),
)
LT = "aws:ec2/launchTemplate:LaunchTemplate"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
NETWORK = {
    "inferplane:aws:PrivateNetwork": 1,
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/internetGateway:InternetGateway": 1,
    "aws:ec2/subnet:Subnet": 4,
    "aws:ec2/routeTable:RouteTable": 3,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 4,
    "aws:ec2/eip:Eip": 2,
    "aws:ec2/natGateway:NatGateway": 2,
}
ASG = "aws:autoscaling/group:Group"


def build(args: GpuFleetArgs) -> Any:
    return record(lambda: GpuFleet("llama", args))


def test_resources_and_endpoint() -> None:
    graph = build(BASE)
    assert graph.type_counts() == {
        "inferplane:aws:GpuFleet": 1,
        "aws:ec2/securityGroup:SecurityGroup": 2,
        # Instances from the ALB only; the ALB admits callers by their group (admit).
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
        **NETWORK,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:iam/instanceProfile:InstanceProfile": 1,
        LT: 1,
        "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:lb/targetGroup:TargetGroup": 1,
        "aws:lb/listener:Listener": 1,
        ASG: 1,
        "aws:autoscaling/policy:Policy": 1,
    }
    outputs = component(graph, "inferplane:aws:GpuFleet").outputs
    endpoint = outputs["endpoint"]
    assert endpoint["backend"] == "openai"
    assert endpoint["url"].startswith("http://internal-llama-alb-")
    assert endpoint["url"].endswith(".us-east-1.elb.amazonaws.com/v1")
    assert outputs["invoke_arns"] == []
    assert one(graph, "aws:lb/loadBalancer:LoadBalancer").inputs["internal"] is True
    assert not untagged_aws(graph)
    assert not regionless(graph)


def test_launch_template_imdsv2_encrypted_ebs_no_public_ip() -> None:
    template = one(build(BASE), LT).inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    [disk] = template["blockDeviceMappings"]
    assert disk["ebs"] == {
        "volumeSize": 110,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    [nic] = template["networkInterfaces"]
    assert nic["associatePublicIpAddress"] == "false"
    assert template["imageId"] == "ami-0abcdef1234567890"
    script = base64.b64decode(template["userData"]).decode()
    assert "--gpus all" in script
    assert "-p 8000:8000" in script
    assert shlex.join(VLLM.args) in script
    assert "vllm/vllm-openai:v0.11.0" in script


def test_ami_from_the_deep_learning_ami_parameter() -> None:
    graph = build(BASE)
    [lookup] = [i for i in graph.invokes if i.token == "aws:ssm/getParameter:getParameter"]
    assert lookup.args["name"] == (
        "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
    )
    assert lookup.args["region"] == "us-east-1"


def test_group_targets_the_reservation_with_on_demand_base_and_spot() -> None:
    group = one(build(BASE), ASG).inputs
    assert group["capacityReservationSpecification"] == {
        "capacityReservationPreference": "capacity-reservations-first",
        "capacityReservationTarget": {"capacityReservationIds": ["cr-0a1b2c3d4e5f60718"]},
    }
    distribution = group["mixedInstancesPolicy"]["instancesDistribution"]
    assert distribution["onDemandBaseCapacity"] == 2
    assert distribution["onDemandPercentageAboveBaseCapacity"] == 50
    assert (group["minSize"], group["desiredCapacity"], group["maxSize"]) == (2, 2, 8)
    assert group["instanceRefresh"]["strategy"] == "Rolling"
    assert group["healthCheckType"] == "ELB"
    assert group["capacityRebalance"] is True


def test_created_reservation_with_end_date_is_targeted() -> None:
    created = CreatedReservation(instance_count=2, end_date=dt.date(2027, 3, 31))
    graph = build(replace(BASE, reservation=None, created_reservation=created))
    reservation = one(graph, "aws:ec2/capacityReservation:CapacityReservation")
    assert reservation.inputs["instanceCount"] == 2
    assert reservation.inputs["endDateType"] == "limited"
    assert reservation.inputs["endDate"] == "2027-04-01T00:00:00Z"
    assert reservation.inputs["instanceMatchCriteria"] == "targeted"
    assert reservation.inputs["availabilityZone"] == "us-east-1a"
    target = one(graph, ASG).inputs["capacityReservationSpecification"]
    assert target["capacityReservationTarget"]["capacityReservationIds"] == ["llama-reservation-id"]


def test_open_preference_is_set_on_the_launch_template() -> None:
    graph = build(replace(BASE, reservation=ReservationTarget((), "open")))
    assert one(graph, LT).inputs["capacityReservationSpecification"] == {
        "capacityReservationPreference": "open"
    }
    assert "capacityReservationSpecification" not in one(graph, ASG).inputs


def test_warm_pool_uses_a_plain_launch_template() -> None:
    graph = build(replace(BASE, spot_percentage=0, warm_pool=True))
    group = one(graph, ASG).inputs
    assert group["warmPool"]["poolState"] == "Stopped"
    assert group["launchTemplate"]["id"] == "llama-lt-id"
    assert "mixedInstancesPolicy" not in group


def test_alb_health_checks_the_engine_path_and_tracking_uses_it() -> None:
    graph = build(replace(BASE, target_requests=30))
    health = one(graph, "aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert (health["path"], health["port"]) == ("/health", "traffic-port")
    policy = one(graph, "aws:autoscaling/policy:Policy").inputs["targetTrackingConfiguration"]
    metric = policy["predefinedMetricSpecification"]
    assert metric["predefinedMetricType"] == "ALBRequestCountPerTarget"
    assert metric["resourceLabel"].startswith("app/p-llama-alb/")
    assert "/targetgroup/" in metric["resourceLabel"]
    assert policy["targetValue"] == 30


def test_user_data_for_ollama_pulls_the_model_and_reads_the_token() -> None:
    ollama = EngineCommand(
        "ollama/ollama:0.12.6", ("serve",), {"OLLAMA_MODEL": "llama3.1:8b"}, 11434, "/api/version"
    )
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-AbCdEf"
    script = render_user_data(ContainerSpec.of_engine(ollama), "us-east-1", "llama3.1:8b", secret)
    assert "docker exec model-server ollama pull llama3.1:8b" in script
    assert f"--secret-id {secret}" in script
    assert script.index("curl -sf http://127.0.0.1:11434/api/version") < script.index("ollama pull")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instance_type": "g5.3xlarge"}, "instance_type: 'g5.3xlarge' is not allowed"),
        ({"instance_type": "m5.large"}, "instance_type: 'm5.large' is not a GPU instance type"),
        ({"extra_instance_types": ("g9.huge",)}, "extra_instance_types: 'g9.huge' is not allowed"),
        ({"volume_gib": 10}, r"volume_gib: 10 is out of range; allowed: 20\.\.16384"),
        ({"min_size": 9}, r"min_size: 9 is out of range; allowed: 0\.\.8"),
        ({"desired": 9}, r"desired: 9 is not between min_size \(2\) and max_size \(8\)"),
        ({"desired": 1}, r"desired: 1 is not between min_size \(2\) and max_size \(8\)"),
        ({"max_size": 0, "min_size": 0, "desired": 0}, "max_size: 0 is out of range"),
        ({"on_demand_base": 9}, "on_demand_base: 9 is out of range"),
        ({"spot_percentage": 101}, "spot_percentage: 101 is out of range"),
        ({"warm_pool": True}, "warm_pool: Auto Scaling warm pools do not support mixed instances"),
        ({"target_requests": 0.0}, "target_requests: 0.0 must be > 0"),
        (
            {"reservation": ReservationTarget(("r-1",))},
            "reservation.reservation_ids: 'r-1' is not an ODCR ID",
        ),
        ({"reservation": ReservationTarget(())}, "reservation.reservation_ids: empty"),
        (
            {"reservation": ReservationTarget(("cr-1",), "always")},
            "reservation.preference: 'always'",
        ),  # type: ignore[arg-type]
        (
            {"reservation": ReservationTarget(("cr-1",), "capacity-reservations-only")},
            "'capacity-reservations-only' cannot launch spot",
        ),
        (
            {"created_reservation": CreatedReservation(1, None)},
            "reservation and created_reservation: choose one",
        ),
        (
            {"reservation": None, "created_reservation": CreatedReservation(9, None)},
            "created_reservation.instance_count: 9 is out of range",
        ),
        (
            {"container": ContainerSpec.of_engine(replace(VLLM, health_path="health"))},
            "container.health_path: 'health'",
        ),
        ({"region": "us-east-9"}, "region: 'us-east-9' is not an AWS region"),
        ({"certificate_arn": CERT}, "certificate_arn and domain_name: give both"),
        ({"domain_name": "llama.example.com"}, "certificate_arn and domain_name: give both"),
        (
            {"certificate_arn": CERT.replace("us-east-1", "eu-west-1"), "domain_name": "a.io"},
            "certificate_arn: .* is not an ACM certificate ARN in us-east-1",
        ),
        (
            {"certificate_arn": CERT, "domain_name": "Bad_Name"},
            "domain_name: 'Bad_Name' is not a DNS name",
        ),
        ({"vpc_id": "vpc-0abc"}, "subnet_ids: empty with vpc_id 'vpc-0abc'"),
    ],
)
def test_invalid_arguments(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        # Checked before anything registers: no engine needed to see the refusal.
        GpuFleet("x", replace(BASE, **change))


def test_fleet_runs_in_private_subnets_behind_nat_and_admits_no_one_by_default() -> None:
    graph = build(BASE)
    subnets = {s.name: s.inputs for s in graph.by_type("aws:ec2/subnet:Subnet")}
    private = ["llama-net-private-0-id", "llama-net-private-1-id"]
    assert one(graph, "aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == private
    assert one(graph, ASG).inputs["vpcZoneIdentifiers"] == private
    assert {n: i["cidrBlock"] for n, i in subnets.items()} == {
        "llama-net-private-0": "10.64.0.0/19",
        "llama-net-private-1": "10.64.32.0/19",
        "llama-net-public-0": "10.64.128.0/22",
        "llama-net-public-1": "10.64.132.0/22",
    }
    assert not any(i["mapPublicIpOnLaunch"] for i in subnets.values())
    routes = {r.name: r.inputs["routes"] for r in graph.by_type("aws:ec2/routeTable:RouteTable")}
    assert routes == {
        "llama-net-public-rt": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "llama-net-igw-id"}],
        "llama-net-private-0-rt": [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": "llama-net-nat-0-id"}
        ],
        "llama-net-private-1-rt": [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": "llama-net-nat-1-id"}
        ],
    }
    [ingress] = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert ingress.name == "llama-instances-from-alb"
    outputs = component(graph, "inferplane:aws:GpuFleet").outputs
    assert outputs["vpc_id"] == "llama-net-vpc-id"
    assert outputs["subnet_ids"] == private
    assert outputs["listener_port"] == 80


def test_spec_network_is_used_as_given() -> None:
    graph = build(replace(BASE, vpc_id="vpc-0abc", subnet_ids=("subnet-1", "subnet-2")))
    assert graph.by_type("inferplane:aws:PrivateNetwork") == []
    assert one(graph, "aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == [
        "subnet-1",
        "subnet-2",
    ]
    endpoint = component(graph, "inferplane:aws:GpuFleet").outputs["endpoint"]
    assert endpoint["reach"] == {"path": "vpc", "network": "vpc-0abc"}


def test_https_listener_under_a_private_name() -> None:
    graph = build(replace(BASE, certificate_arn=CERT, domain_name="llama.ml.example.com"))
    listener = one(graph, "aws:lb/listener:Listener").inputs
    assert (listener["port"], listener["protocol"]) == (443, "HTTPS")
    assert listener["certificateArn"] == CERT
    assert listener["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    zone = one(graph, "aws:route53/zone:Zone").inputs
    assert zone["name"] == "llama.ml.example.com"
    assert zone["vpcs"] == [{"vpcId": "llama-net-vpc-id", "vpcRegion": "us-east-1"}]
    record_ = one(graph, "aws:route53/record:Record").inputs
    assert (record_["name"], record_["type"]) == ("llama.ml.example.com", "A")
    assert record_["aliases"][0]["name"].startswith("internal-llama-alb-")
    outputs = component(graph, "inferplane:aws:GpuFleet").outputs
    assert outputs["endpoint"]["url"] == "https://llama.ml.example.com/v1"
    assert outputs["listener_port"] == 443


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cidr": "10.64.0.0/12"}, r"cidr prefix length: 12 is out of range; allowed: 16\.\.20"),
        ({"cidr": "10.64.0.1/16"}, "cidr: '10.64.0.1/16' is not an IPv4 network"),
        ({"zones": 1}, r"zones: 1 is out of range; allowed: 2\.\.4"),
    ],
)
def test_invalid_network_arguments(change: dict[str, Any], message: str) -> None:
    from inferplane.components.aws.network import PrivateNetwork, PrivateNetworkArgs

    args = PrivateNetworkArgs(region="us-east-1", labels=LABELS, **change)
    with pytest.raises(ValueError, match=message):
        PrivateNetwork("net", args)
