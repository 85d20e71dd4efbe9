"""Policy engine throughput: N synthetic resources (a realistic mix of what the components
create, some of them violating) normalized from a Graph, evaluated by every rule, and
rendered as JSON and SARIF. Reports the median of several warm runs.

Run: `python -m bench.policies [--resources 10000] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inferplane.components.base import EndpointInfo, Labels
from inferplane.plan.graph import Graph, Resource
from inferplane.policies.config import default_policy
from inferplane.policies.engine import Report, evaluate
from inferplane.policies.model import Context
from inferplane.policies.normalize import stack_from_graph
from inferplane.policies.report import render
from inferplane.routerconfig import render_router_config
from inferplane.spec import load_stack

ROOT = Path(__file__).resolve().parents[2]
STACK = "prod-us-east-1"
DIGEST = "sha256:" + "ab" * 32


def _tags(i: int) -> dict[str, str]:
    cls = "confidential" if i % 3 else "public"
    return Labels("prod", "ml-platform", "cc-4711", "us").for_target(f"t{i % 50}", cls).tags()


Template = Callable[[int], tuple[str, dict[str, Any]]]


def _bucket(i: int) -> tuple[str, dict[str, Any]]:
    region = "us-east-1" if i % 40 else "eu-west-1"  # every 40th outside the zone
    return "aws:s3/bucket:Bucket", {"bucket": f"b{i}", "region": region, "tags": _tags(i)}


def _launch_template(i: int) -> tuple[str, dict[str, Any]]:
    reservation = {"capacityReservationTarget": {"capacityReservationId": "cr-0abc"}}
    return "aws:ec2/launchTemplate:LaunchTemplate", {
        "instanceType": "g5.2xlarge",
        "region": "us-east-1",
        "metadataOptions": {"httpTokens": "required" if i % 17 else "optional"},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
        "capacityReservationSpecification": reservation,
        "tags": _tags(i),
    }


def _group(i: int) -> tuple[str, dict[str, Any]]:
    tags = [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in _tags(i).items()]
    return "aws:autoscaling/group:Group", {
        "minSize": 2.0,
        "maxSize": 8.0,
        "region": "us-east-1",
        "launchTemplate": {"id": f"r{i - 1}-id"},
        "tags": tags,
    }


def _invoke_policy(i: int) -> tuple[str, dict[str, Any]]:
    geo = "global" if i % 23 == 0 else "us"
    arn = f"arn:aws:bedrock:us-east-1:1:inference-profile/{geo}.anthropic.claude"
    document = json.dumps({"Statement": [{"Resource": arn}]})
    return "aws:iam/policy:Policy", {"policy": document, "tags": _tags(i)}


def _function_url(_i: int) -> tuple[str, dict[str, Any]]:
    props = {"authorizationType": "AWS_IAM", "region": "us-east-1"}
    return "aws:lambda/functionUrl:FunctionUrl", props


def _throughput(i: int) -> tuple[str, dict[str, Any]]:
    return "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput", {
        "modelUnits": 1.0,
        "commitmentDuration": "OneMonth",
        "region": "us-east-1",
        "tags": {**_tags(i), "capacity-approval": "CHG-1"},
    }


def _cloud_run(i: int) -> tuple[str, dict[str, Any]]:
    template = {"scaling": {"maxInstanceCount": 4.0}}
    return "gcp:cloudrunv2/service:Service", {
        "location": "us-central1",
        "template": template,
        "labels": _tags(i),
    }


def _deployment(i: int) -> tuple[str, dict[str, Any]]:
    containers = [{"name": "m", "image": f"vllm@{DIGEST}"}]
    labels = {f"inferplane.dev/{k}": v for k, v in _tags(i).items()}
    return "kubernetes:apps/v1:Deployment", {
        "metadata": {"labels": labels},
        "spec": {"template": {"spec": {"containers": containers}}},
    }


def _openai(i: int) -> tuple[str, dict[str, Any]]:
    sku = {"name": "Standard", "capacity": 10.0}
    return "azure-native:cognitiveservices:Deployment", {"sku": sku, "tags": _tags(i)}


def _templates(router_config: str) -> list[Template]:
    def function(i: int) -> tuple[str, dict[str, Any]]:
        variables = {"INFERPLANE_ROUTER_CONFIG": router_config} if i == 9 else {"X": "y"}
        return "aws:lambda/function:Function", {
            "region": "us-east-1",
            "tags": _tags(i),
            "environment": {"variables": variables},
        }

    return [
        _bucket,
        _launch_template,
        _group,
        _invoke_policy,
        _function_url,
        _throughput,
        _cloud_run,
        _deployment,
        _openai,
        function,
    ]


def synthetic_graph(count: int, router_config: str) -> Graph:
    templates = _templates(router_config)
    graph = Graph(project="inferplane", stack="bench")
    for i in range(count):
        type_, inputs = templates[i % len(templates)](i)
        parent = f"urn:pulumi:bench::inferplane::inferplane:bench:Target::c{i // 10}"
        urn = f"urn:pulumi:bench::inferplane::inferplane:bench:Target${type_}::r{i}"
        graph.resources.append(Resource(urn, type_, f"r{i}", parent, None, [], inputs, True))
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stack_file = load_stack(ROOT, STACK)
    spec = stack_file.spec
    endpoints = {n: EndpointInfo(backend="bedrock", model=t.model) for n, t in spec.targets.items()}
    config = render_router_config(spec, STACK, endpoints).to_json()
    graph = synthetic_graph(args.resources, config)
    ctx = Context(default_policy(), spec)
    timings: dict[str, list[float]] = {"normalize": [], "evaluate": [], "json": [], "sarif": []}
    findings = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        stack = stack_from_graph(graph, spec, {"aws": "us-east-1"})
        timings["normalize"].append(time.perf_counter() - started)
        started = time.perf_counter()
        stack_report = evaluate(stack, ctx)
        timings["evaluate"].append(time.perf_counter() - started)
        report = Report([stack_report])
        for fmt in ("json", "sarif"):
            started = time.perf_counter()
            render(report, fmt)
            timings[fmt].append(time.perf_counter() - started)
        findings = len(stack_report.findings)
    print(
        f"{args.resources} resources, {stack_report.rules} rules, {findings} findings, "
        f"median of {args.repeat} runs:"
    )
    for stage, values in timings.items():
        median = statistics.median(values)
        per = median / args.resources * 1e6
        print(f"  {stage:<10} {median * 1000:8.1f} ms  ({per:6.1f} µs/resource)")
    total = sum(statistics.median(v) for k, v in timings.items() if k in ("normalize", "evaluate"))
    print(f"  normalize+evaluate {total:.3f} s")


if __name__ == "__main__":
    main()
