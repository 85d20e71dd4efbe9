"""GPU fleet scaling on the engine's queue: the CloudWatch agent (configured by the launch
template's user data, every value through components/shell.py) scrapes the engine's
Prometheus gauge into CloudWatch, and target tracking holds its per-instance average.
The policy is checked against botocore's Auto Scaling ``PutScalingPolicy`` input shape;
the user data's config files are written by running its own lines."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from inferplane.components.aws.gpu_fleet import (
    CLOUDWATCH_AGENT_POLICY,
    QUEUE_NAMESPACE,
    GpuFleet,
    GpuFleetArgs,
    cloudwatch_agent_config,
)
from inferplane.components.container import ContainerSpec
from inferplane.serving.base import EngineCommand
from tests.components.aws.helpers import LABELS
from tests.support.recording import one, record

VLLM = EngineCommand(
    "vllm/vllm-openai:v0.11.0",
    ("--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"),
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
    min_size=1,
    max_size=4,
    queue_metric="vllm:num_requests_waiting",
    target_queue=16,
)
POLICY = "aws:autoscaling/policy:Policy"


def build(args: GpuFleetArgs) -> Any:
    return record(lambda: GpuFleet("llama", args))


def put_scaling_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The recorded Pulumi inputs as the Auto Scaling API request."""
    tracking = policy["targetTrackingConfiguration"]
    request: dict[str, Any] = {
        "AutoScalingGroupName": policy["autoscalingGroupName"],
        "PolicyName": "llama-queue-per-instance",
        "PolicyType": policy["policyType"],
        "EstimatedInstanceWarmup": int(policy["estimatedInstanceWarmup"]),
        "TargetTrackingConfiguration": {"TargetValue": tracking["targetValue"]},
    }
    custom = tracking.get("customizedMetricSpecification")
    if custom:
        request["TargetTrackingConfiguration"]["CustomizedMetricSpecification"] = {
            "MetricName": custom["metricName"],
            "Namespace": custom["namespace"],
            "Dimensions": [
                {"Name": d["name"], "Value": d["value"]} for d in custom["metricDimensions"]
            ],
            "Statistic": custom["statistic"],
        }
    else:
        predefined = tracking["predefinedMetricSpecification"]
        request["TargetTrackingConfiguration"]["PredefinedMetricSpecification"] = {
            "PredefinedMetricType": predefined["predefinedMetricType"],
            "ResourceLabel": predefined["resourceLabel"],
        }
    return request


def validate(request: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("autoscaling")
    shape = model.operation_model("PutScalingPolicy").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    spec = request["TargetTrackingConfiguration"]
    if "CustomizedMetricSpecification" in spec:  # enums are the service's to check
        statistics = model.shape_for("MetricStatistic").enum
        assert spec["CustomizedMetricSpecification"]["Statistic"] in statistics
    else:
        types = model.shape_for("MetricType").enum
        assert spec["PredefinedMetricSpecification"]["PredefinedMetricType"] in types


def test_queue_policy_tracks_the_per_instance_average_and_is_a_valid_request() -> None:
    graph = build(BASE)
    [policy] = graph.by_type(POLICY)
    assert policy.name == "llama-queue-per-instance"
    request = put_scaling_policy(policy.inputs)
    validate(request)
    assert request["TargetTrackingConfiguration"] == {
        "TargetValue": 16,
        "CustomizedMetricSpecification": {
            "MetricName": "vllm:num_requests_waiting",
            "Namespace": QUEUE_NAMESPACE,
            "Dimensions": [{"Name": "Fleet", "Value": "p-llama"}],
            "Statistic": "Average",
        },
    }


def test_request_count_policy_stays_valid_without_a_queue_metric() -> None:
    graph = build(replace(BASE, queue_metric=None))
    [policy] = graph.by_type(POLICY)
    assert policy.name == "llama-requests-per-target"
    validate(put_scaling_policy(policy.inputs))


def test_instances_may_publish_through_the_agent() -> None:
    graph = build(BASE)
    attached = {
        r.inputs["policyArn"]
        for r in graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert CLOUDWATCH_AGENT_POLICY in attached
    without = build(replace(BASE, queue_metric=None))
    assert CLOUDWATCH_AGENT_POLICY not in {
        r.inputs["policyArn"]
        for r in without.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }


def test_user_data_writes_the_agent_config_it_renders(tmp_path: Path) -> None:
    template = one(build(BASE), "aws:ec2/launchTemplate:LaunchTemplate").inputs
    script = base64.b64decode(template["userData"]).decode()
    etc = "/opt/aws/amazon-cloudwatch-agent/etc"
    writes = [line for line in script.splitlines() if line.startswith("printf ")]
    assert len(writes) == 2
    # Run the script's own lines, redirected into tmp_path.
    subprocess.run(
        ["bash", "-euc", "\n".join(w.replace(f"> {etc}/", f"> {tmp_path}/") for w in writes)],
        check=True,
    )
    agent, scrape = cloudwatch_agent_config("vllm:num_requests_waiting", "p-llama", 8000)
    assert json.loads((tmp_path / "inferplane.json").read_text()) == json.loads(agent)
    assert json.loads((tmp_path / "prometheus.yaml").read_text()) == json.loads(scrape)
    declaration = json.loads(agent)["logs"]["metrics_collected"]["prometheus"]["emf_processor"]
    assert declaration["metric_namespace"] == QUEUE_NAMESPACE
    assert declaration["metric_declaration"][0]["metric_selectors"] == [
        "^vllm:num_requests_waiting$"
    ]
    assert json.loads(scrape)["scrape_configs"][0]["static_configs"] == [
        {"targets": ["127.0.0.1:8000"], "labels": {"Fleet": "p-llama"}}
    ]
    assert script.splitlines()[-1] == (
        "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config"
        f" -m ec2 -s -c file:{etc}/inferplane.json"
    )
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


@pytest.mark.parametrize("metric", ["vllm num_requests", "x$(id)", "1metric"])
def test_a_metric_name_that_is_not_prometheus_is_refused(metric: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus metric name"):
        build(replace(BASE, queue_metric=metric))


def _fleet_spec(**changes: Any) -> Any:
    from inferplane.spec import parse_spec
    from tests.conftest import stack_spec_data

    data = stack_spec_data("prod-us-east-1")
    data["targets"]["llama-fleet"].update(changes)
    return parse_spec(data, "test", {"aws": "us-east-1"})


def test_the_spec_scales_a_fleet_on_its_engines_queue() -> None:
    from inferplane.deployment.aws import gpu_fleet
    from inferplane.deployment.context import DeployContext
    from inferplane.spec.targets.aws import GpuFleetTarget

    spec = _fleet_spec(scaling_signal="queue", scaling={"min": 2, "max": 8, "desired": 2})
    target = spec.targets["llama-fleet"]
    assert isinstance(target, GpuFleetTarget)
    graph = record(lambda: gpu_fleet("llama-fleet", target, DeployContext(spec, "prod")))
    # The stack's fleet also has the on-demand fallback's step policies.
    [policy] = [p for p in graph.by_type(POLICY) if p.name == "llama-fleet-queue-per-instance"]
    custom = policy.inputs["targetTrackingConfiguration"]["customizedMetricSpecification"]
    assert custom["metricName"] == "vllm:num_requests_waiting"
    # No scaling.target: a quarter of the stack's batching.max_seqs (64).
    assert policy.inputs["targetTrackingConfiguration"]["targetValue"] == 16


def test_an_engine_without_a_queue_gauge_cannot_scale_on_it() -> None:
    from inferplane.errors import SpecError

    with pytest.raises(SpecError, match="publishes no queue gauge"):
        _fleet_spec(scaling_signal="queue", serving={"engine": "ollama", "quantization": "q4_k_m"})
