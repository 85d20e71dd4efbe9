"""The AWS builders on the targets of the stacks we ship, each under the recording mock
engine (the router and edge builders live elsewhere, so whole stacks are not planned
here)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs
from inferplane.deployment import BUILDERS, DeployContext
from inferplane.deployment.aws import fleet_volume_gib
from inferplane.errors import SpecError
from inferplane.packaging.converse_zip import HANDLER, converse_files
from inferplane.plan.graph import Graph
from inferplane.spec import StackSpec, parse_spec
from inferplane.spec.load import load_stack
from inferplane.spec.targets.aws import BedrockTarget, GpuFleetTarget
from tests.support.recording import one, record

ROOT = Path(__file__).resolve().parents[2]
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
AWS_KINDS = {"bedrock", "sagemaker", "sagemaker_serverless", "lambda", "gpu_fleet"}
COMPONENT = {
    "bedrock": "inferplane:aws:Bedrock",
    "sagemaker": "inferplane:aws:SageMakerEndpoint",
    "sagemaker_serverless": "inferplane:aws:SageMakerServerlessEndpoint",
    "lambda": "inferplane:aws:LambdaFunction",
    "gpu_fleet": "inferplane:aws:GpuFleet",
}
BACKEND = {
    "bedrock": "bedrock",
    "sagemaker": "sagemaker",
    "sagemaker_serverless": "sagemaker",
    "lambda": "lambda_url",
    "gpu_fleet": "openai",
}


@cache
def spec(stack: str) -> StackSpec:
    return load_stack(ROOT, stack).spec


def builder(kind: str) -> Callable[..., Any]:
    module, _, attr = BUILDERS[kind].partition(":")
    found: Callable[..., Any] = getattr(import_module(module), attr)
    return found


def build(stack: str, *targets: str) -> Graph:
    stack_spec = spec(stack)
    ctx = DeployContext(stack_spec, stack, {"aws": "us-east-1"})

    def program() -> None:
        for name in targets:
            target = stack_spec.targets[name]
            builder(target.kind)(name, target, ctx)

    return record(program)


def aws_targets() -> list[tuple[str, str]]:
    return [
        (stack, name)
        for stack in ("dev", "prod-us-east-1", "prod-eu-central-1")
        for name, target in spec(stack).targets.items()
        if target.kind in AWS_KINDS
    ]


def test_the_prod_stacks_use_every_aws_kind() -> None:
    kinds = {spec(s).targets[n].kind for s, n in aws_targets()}
    assert kinds == AWS_KINDS


@pytest.mark.parametrize(("stack", "name"), aws_targets())
def test_every_aws_target_builds_its_component(stack: str, name: str) -> None:
    target = spec(stack).targets[name]
    graph = build(stack, name)
    [component] = [r for r in graph.resources if r.type == COMPONENT[target.kind]]
    assert component.name == name
    endpoint = component.outputs["endpoint"]
    assert endpoint["backend"] == BACKEND[target.kind]
    assert endpoint["region"] == target.region
    for resource in graph.resources:
        if resource.custom and "tags" in resource.inputs:
            tags = resource.inputs["tags"]
            tags = {t["key"]: t["value"] for t in tags} if isinstance(tags, list) else tags
            assert tags["inferplane-target"] == name
            assert tags["environment"] == spec(stack).environment
        if resource.custom and not resource.type.startswith("aws:iam/"):
            assert resource.inputs.get("region") == target.region, resource.name


def test_geo_profile_target_invokes_its_profile_and_us_models() -> None:
    graph = build("prod-us-east-1", "claude-sonnet")
    policy = json.loads(one(graph, "aws:iam/policy:Policy").inputs["policy"])
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    model = "amazon.nova-pro-v1:0"
    assert resources[0] == f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{model}"
    assert all(r.split(":")[3].startswith("us-") for r in resources[1:-1])
    assert resources[-1].startswith("arn:aws:bedrock:us-east-1:123456789012:guardrail/")
    assert (
        one(graph, "aws:bedrock/guardrail:Guardrail").inputs["tags"]["bedrock-inference"] == "geo"
    )


def test_eu_geo_profile_stays_in_eu() -> None:
    graph = build("prod-eu-central-1", "claude-haiku-eu")
    policy = json.loads(one(graph, "aws:iam/policy:Policy").inputs["policy"])
    regions = {r.split(":")[3] for s in policy["Statement"] for r in s["Resource"]}
    assert regions
    assert all(r.startswith("eu-") for r in regions)


def test_provisioned_throughput_commitment_from_capacity_term() -> None:
    graph = build("prod-us-east-1", "claude-haiku-pt")
    throughput = one(graph, "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput")
    assert throughput.inputs["commitmentDuration"] == "OneMonth"
    assert throughput.inputs["modelUnits"] == 1
    assert throughput.inputs["tags"]["capacity-approval"] == "CHG-2041"


def test_one_invocation_logging_configuration_per_region() -> None:
    graph = build("prod-us-east-1", "claude-sonnet", "claude-haiku-pt")
    logging = graph.by_type(
        "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
    )
    assert [r.name for r in logging] == ["claude-sonnet-invocation-logging"]


def test_sagemaker_prod_scaling_is_protected() -> None:
    graph = build("prod-us-east-1", "mistral-sm")
    target = one(graph, "aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 4)
    tracking = one(graph, "aws:appautoscaling/policy:Policy").inputs[
        "targetTrackingScalingPolicyConfiguration"
    ]
    assert tracking["targetValue"] == 20
    assert tracking["disableScaleIn"] is True
    endpoint = one(graph, "aws:sagemaker/endpoint:Endpoint")
    assert endpoint.inputs["name"] == "prod-us-east-1-mistral-sm"


def test_serverless_target() -> None:
    graph = build("prod-eu-central-1", "mistral-serverless")
    variant = one(graph, "aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs[
        "productionVariants"
    ][0]
    assert variant["serverlessConfig"] == {"memorySizeInMb": 6144, "maxConcurrency": 20}


def test_lambda_target_is_an_iam_authenticated_converse_proxy() -> None:
    graph = build("prod-us-east-1", "summarize-fn")
    assert one(graph, "aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == "AWS_IAM"
    function = one(graph, "aws:lambda/function:Function").inputs
    assert function["handler"] == "converse_handler.handler"
    assert function["reservedConcurrentExecutions"] == 20
    assert function["code"] == {"archive": "<assets>"}
    policy = json.loads(one(graph, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"][1]["Resource"] == [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    ]


def test_lambda_target_ships_the_converse_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's code is the handler's package, file for file what
    ``build_converse_zip`` writes (and tests/packaging/test_converse_zip.py runs)."""
    import pulumi

    seen: list[LambdaFunctionArgs] = []

    def capture(name: str, args: LambdaFunctionArgs) -> LambdaFunction:
        seen.append(args)
        return LambdaFunction(name, args)

    monkeypatch.setattr("inferplane.deployment.aws.LambdaFunction", capture)
    build("prod-us-east-1", "summarize-fn")
    (args,) = seen
    assert isinstance(args.code, pulumi.AssetArchive)
    shipped = {}
    for name, asset in args.code.assets.items():
        assert isinstance(asset, pulumi.FileAsset)
        shipped[name] = Path(asset.path)
    assert shipped == converse_files()
    assert args.handler == HANDLER


def test_gpu_fleet_target() -> None:
    graph = build("prod-us-east-1", "llama-fleet")
    groups = {g.name: g.inputs for g in graph.by_type("aws:autoscaling/group:Group")}
    # The spot group and its on-demand fallback (docs/capacity.md).
    assert set(groups) == {"llama-fleet-asg", "llama-fleet-fallback-asg"}
    group = groups["llama-fleet-asg"]
    assert group["capacityReservationSpecification"]["capacityReservationTarget"] == {
        "capacityReservationIds": ["cr-0a1b2c3d4e5f60718"]
    }
    distribution = group["mixedInstancesPolicy"]["instancesDistribution"]
    assert (
        distribution["onDemandBaseCapacity"],
        distribution["onDemandPercentageAboveBaseCapacity"],
    ) == (2, 50)
    template = one(graph, "aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 110
    script = base64.b64decode(template["userData"]).decode()
    assert "--quantization awq" in script
    assert "--max-model-len 16384" in script
    health = one(graph, "aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert health["path"] == "/health"


def test_fleet_volume_follows_the_weights() -> None:
    fleet = spec("prod-us-east-1").targets["llama-fleet"]
    assert isinstance(fleet, GpuFleetTarget)
    # 75 (AMI) + 25 (image) + 2 x 3.7 GiB (8B at AWQ int4) = 107.5 -> 110.
    assert fleet_volume_gib(fleet) == 110
    bigger = fleet.model_copy(
        update={"serving": fleet.serving.model_copy(update={"quantization": "none"})}
    )
    # 2 x 14.9 GiB at fp16 -> 129.8 -> 130.
    assert fleet_volume_gib(bigger) == 130


def test_created_reservation_from_units() -> None:
    data = load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"]
    fleet = data["targets"]["llama-fleet"]
    fleet["capacity"] = {
        "mode": "reserved",
        "units": 2,
        "end_date": "2027-06-30",
        "approval": "CHG-1",
    }
    stack_spec = parse_spec(data, "test", {"aws": "us-east-1"})
    ctx = DeployContext(stack_spec, "prod-us-east-1", {"aws": "us-east-1"})
    graph = record(
        lambda: builder("gpu_fleet")("llama-fleet", stack_spec.targets["llama-fleet"], ctx)
    )
    reservation = one(graph, "aws:ec2/capacityReservation:CapacityReservation").inputs
    assert (reservation["instanceCount"], reservation["endDate"]) == (2, "2027-07-01T00:00:00Z")


@pytest.mark.parametrize(
    ("target", "change", "path", "fragment"),
    [
        (
            "mistral-sm",
            {"instance_type": "ml.g5.3xlarge"},
            "targets.mistral-sm.instance_type",
            "not a sagemaker instance type known to botocore",
        ),
        (
            "mistral-sm",
            {"scaling": {"min": 0, "max": 2}},
            "targets.mistral-sm",
            "a realtime endpoint keeps at least 1 instance",
        ),
        (
            "llama-fleet",
            {"instance_type": "m5.large"},
            "targets.llama-fleet.instance_type",
            "not a GPU instance type",
        ),
        (
            "llama-fleet",
            {"instance_type": "g5.3xlarge"},
            "targets.llama-fleet.instance_type",
            "not a ec2 instance type known to botocore",
        ),
        (
            "llama-fleet",
            {"spot": {"instance_types": ["g5.huge"]}},
            "targets.llama-fleet.spot.instance_types",
            "known to botocore",
        ),
        (
            "llama-fleet",
            {"hf_token_secret": "hf-token"},
            "targets.llama-fleet.hf_token_secret",
            "not a Secrets Manager secret ARN",
        ),
        (
            "summarize-fn",
            {"log_retention_days": 31},
            "targets.summarize-fn.log_retention_days",
            "not a CloudWatch retention",
        ),
        (
            "claude-sonnet",
            {"capacity": {"mode": "provisioned", "units": 1}},
            "targets.claude-sonnet",
            "set inference: region",
        ),
        (
            "claude-sonnet",
            {"invocation_logging": {"kms_key": "alias/logs"}},
            "targets.claude-sonnet.invocation_logging.kms_key",
            "not a KMS key ARN",
        ),
        (
            "claude-sonnet",
            {"invocation_logging": {"expire_days": 0}},
            "targets.claude-sonnet.invocation_logging.expire_days",
            "greater than or equal to 1",
        ),
        (
            "llama-fleet",
            {"network": {"vpc_id": "vpc-0a1b2c3d4e5f60718"}},
            "targets.llama-fleet.network",
            "subnet_ids: name the VPC's private subnets",
        ),
        (
            "llama-fleet",
            {"network": {"subnet_ids": ["subnet-0a1b2c3d4e5f60718"]}},
            "targets.llama-fleet.network",
            "vpc_id: required with subnet_ids",
        ),
        (
            "llama-fleet",
            {"tls": {"certificate_arn": "arn:aws:acm:us-east-1:123:cert", "domain": "a.io"}},
            "targets.llama-fleet.tls.certificate_arn",
            "not an ACM certificate ARN",
        ),
        (
            "llama-fleet",
            {"tls": {"certificate_arn": CERT.replace("us-east-1", "eu-west-1"), "domain": "a.io"}},
            "targets.llama-fleet",
            "the certificate is not in the fleet's region 'us-east-1'",
        ),
        (
            "llama-fleet",
            {"tls": {"certificate_arn": CERT, "domain": "llama.example.com; rm -rf /"}},
            "targets.llama-fleet.tls.domain",
            "not a lowercase DNS name",
        ),
    ],
)
def test_spec_errors(target: str, change: dict[str, Any], path: str, fragment: str) -> None:
    data = load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"]
    data["targets"][target].update(change)
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "test", {"aws": "us-east-1"})
    assert any(i.path == path and fragment in i.message for i in caught.value.issues), (
        caught.value.issues
    )


def test_ollama_fleet_answers_under_the_quantised_tag() -> None:
    data = load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"]
    fleet = data["targets"]["llama-fleet"]
    fleet["model"] = "llama3.1:8b-instruct"
    fleet["serving"] = {"engine": "ollama", "quantization": "q4_k_m"}
    stack_spec = parse_spec(data, "test", {"aws": "us-east-1"})
    ctx = DeployContext(stack_spec, "prod-us-east-1", {"aws": "us-east-1"})
    graph = record(
        lambda: builder("gpu_fleet")("llama-fleet", stack_spec.targets["llama-fleet"], ctx)
    )
    [fleet_component] = [r for r in graph.resources if r.type == COMPONENT["gpu_fleet"]]
    assert fleet_component.outputs["endpoint"]["model"] == "llama3.1:8b-instruct-q4_K_M"
    health = one(graph, "aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert (health["path"], one(graph, "aws:lb/targetGroup:TargetGroup").inputs["port"]) == (
        "/api/version",
        11434,
    )


def test_logging_and_tls_from_the_spec_reach_the_components() -> None:
    data = load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"]
    data["targets"]["claude-sonnet"]["invocation_logging"] = {
        "text": True,
        "expire_days": 14,
        "kms_key": "arn:aws:kms:us-east-1:123456789012:key/abcd-1234",
    }
    data["targets"]["llama-fleet"]["tls"] = {"certificate_arn": CERT, "domain": "llama.ml.acme.io"}
    stack_spec = parse_spec(data, "test", {"aws": "us-east-1"})
    ctx = DeployContext(stack_spec, "prod-us-east-1", {"aws": "us-east-1"})

    def program() -> None:
        for name in ("claude-sonnet", "llama-fleet"):
            builder(stack_spec.targets[name].kind)(name, stack_spec.targets[name], ctx)

    graph = record(program)
    logging = one(
        graph, "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
    )
    assert logging.inputs["loggingConfig"]["textDataDeliveryEnabled"] is True
    lifecycle = one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 14}
    encryption = one(
        graph,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert encryption["kmsMasterKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/abcd-1234"
    listener = one(graph, "aws:lb/listener:Listener").inputs
    assert (listener["protocol"], listener["certificateArn"]) == ("HTTPS", CERT)


@pytest.mark.parametrize(("value", "enabled"), [(True, True), (False, False)])
def test_invocation_logging_switch_is_short_for_enabled(value: bool, enabled: bool) -> None:
    data = load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"]
    data["targets"]["claude-sonnet"]["invocation_logging"] = value
    target = parse_spec(data, "test", {"aws": "us-east-1"}).targets["claude-sonnet"]
    assert isinstance(target, BedrockTarget)
    assert target.invocation_logging.enabled is enabled
    assert target.invocation_logging.text is False
