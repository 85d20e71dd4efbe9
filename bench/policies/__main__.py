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
from typing import Any

from components.base import Labels
from inferplane.plan.graph import Graph, Resource
from inferplane.routerconfig import render_router_config
from inferplane.spec import load_stack
from policies.config import default_policy
from policies.engine import Report, evaluate
from policies.model import Context
from policies.normalize import stack_from_graph
from policies.report import render
from tests.policies.support import ROOT

STACK = "prod-us-east-1"
DIGEST = "sha256:" + "ab" * 32


def _tags(i: int) -> dict[str, str]:
    cls = "confidential" if i % 3 else "public"
    return Labels("prod", "ml-platform", "cc-4711", "us").for_target(f"t{i % 50}", cls).tags()


def _templates(router_config: str) -> list[Callable[[int], tuple[str, dict[str, Any]]]]:
    return [
        lambda i: ("aws:s3/bucket:Bucket", {"bucket": f"b{i}", "region": "us-east-1" if i % 40 else "eu-west-1", "tags": _tags(i)}),
        lambda i: ("aws:ec2/launchTemplate:LaunchTemplate", {
            "instanceType": "g5.2xlarge", "region": "us-east-1",
            "metadataOptions": {"httpTokens": "required" if i % 17 else "optional"},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
            "capacityReservationSpecification": {"capacityReservationTarget": {"capacityReservationId": "cr-0abc"}},
            "tags": _tags(i)}),
        lambda i: ("aws:autoscaling/group:Group", {
            "minSize": 2.0, "maxSize": 8.0, "region": "us-east-1", "launchTemplate": {"id": f"r{i - 1}-id"},
            "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in _tags(i).items()]}),
        lambda i: ("aws:iam/policy:Policy", {"policy": json.dumps({"Statement": [{"Resource":
            f"arn:aws:bedrock:us-east-1:1:inference-profile/{'global' if i % 23 == 0 else 'us'}.anthropic.claude"}]}),
            "tags": _tags(i)}),
        lambda i: ("aws:lambda/functionUrl:FunctionUrl", {"authorizationType": "AWS_IAM", "region": "us-east-1"}),
        lambda i: ("aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput", {
            "modelUnits": 1.0, "commitmentDuration": "OneMonth", "region": "us-east-1",
            "tags": {**_tags(i), "capacity-approval": "CHG-1"}}),
        lambda i: ("gcp:cloudrunv2/service:Service", {"location": "us-central1",
            "template": {"scaling": {"maxInstanceCount": 4.0}}, "labels": _tags(i)}),
        lambda i: ("kubernetes:apps/v1:Deployment", {
            "metadata": {"labels": {f"inferplane.dev/{k}": v for k, v in _tags(i).items()}},
            "spec": {"template": {"spec": {"containers": [{"name": "m", "image": f"vllm@{DIGEST}"}]}}}}),
        lambda i: ("azure-native:cognitiveservices:Deployment", {"sku": {"name": "Standard", "capacity": 10.0},
            "tags": _tags(i)}),
        lambda i: ("aws:lambda/function:Function", {"region": "us-east-1", "tags": _tags(i),
            "environment": {"variables": {"INFERPLANE_ROUTER_CONFIG": router_config} if i == 9 else {"X": "y"}}}),
    ]  # fmt: skip


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
    endpoints = {n: {"backend": "bedrock", "model": t.model} for n, t in spec.targets.items()}
    config = render_router_config(spec, STACK, endpoints).to_json()  # type: ignore[arg-type]
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
    print(f"{args.resources} resources, {stack_report.rules} rules, {findings} findings, median of {args.repeat} runs:")
    for stage, values in timings.items():
        median = statistics.median(values)
        print(f"  {stage:<10} {median * 1000:8.1f} ms  ({median / args.resources * 1e6:6.1f} µs/resource)")
    total = sum(statistics.median(v) for k, v in timings.items() if k in ("normalize", "evaluate"))
    print(f"  normalize+evaluate {total:.3f} s")


if __name__ == "__main__":
    main()
