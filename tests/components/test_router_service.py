"""RouterService puts the router on each platform with its config and least privilege."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from components.base import Labels
from components.router import CONFIG_ENV, RouterService, RouterServiceArgs, invoke_statements
from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack
from tests.support.recording import only, record, refusal

ROOT = Path(__file__).resolve().parents[2]
LABELS = Labels("prod", "ml-platform", "cc-4711", "eu", "confidential", "router")
CONFIG = '{"stack": "test"}'
IMAGE = "europe-west4-docker.pkg.dev/acme/inferplane/router@sha256:" + "a" * 64
BEDROCK = "arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
SAGEMAKER = "arn:aws:sagemaker:eu-central-1:123456789012:endpoint/mistral"


def _lambda_router(arns: list[str]) -> Graph:
    return record(
        lambda: RouterService(
            "router",
            RouterServiceArgs(
                platform="lambda",
                config_json=CONFIG,
                labels=LABELS,
                region="eu-central-1",
                code=pulumi.FileArchive("build/router/router-lambda.zip"),
                invoke_arns=arns,
            ),
        )
    )


def test_lambda_router_carries_its_config_and_iam_url_auth() -> None:
    graph = _lambda_router([BEDROCK])
    function = only(graph, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"][CONFIG_ENV] == CONFIG
    assert function.inputs["handler"] == "lambda_entry.handler"
    assert only(graph, "aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == (
        "AWS_IAM"
    )
    assert only(graph, "inferplane:index:RouterService").outputs["config_json"] == CONFIG


def test_lambda_router_may_invoke_exactly_the_targets() -> None:
    graph = _lambda_router([SAGEMAKER, BEDROCK, BEDROCK])
    [invoke] = [r for r in graph.resources if r.name == "router-invoke"]
    policy = json.loads(invoke.inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["InvokeBedrock"]["Resource"] == [BEDROCK]
    assert statements["InvokeSagemaker"]["Resource"] == [SAGEMAKER]
    assert statements["InvokeSagemaker"]["Action"] == [
        "sagemaker:InvokeEndpoint",
        "sagemaker:InvokeEndpointWithResponseStream",
    ]
    assert all("*" not in r for s in policy["Statement"] for r in s["Resource"])


def test_no_aws_targets_means_no_invoke_policy() -> None:
    graph = _lambda_router([])
    assert graph.by_type("aws:iam/rolePolicy:RolePolicy") == [] or all(
        "Invoke" not in r.inputs.get("policy", "")
        for r in graph.by_type("aws:iam/rolePolicy:RolePolicy")
    )


def test_invoke_statements_refuse_unknown_services() -> None:
    with pytest.raises(ValueError, match="no router action for 's3'"):
        invoke_statements(["arn:aws:s3:::bucket"])


def test_cloud_run_router_runs_the_image_with_the_config_env() -> None:
    graph = record(
        lambda: RouterService(
            "router",
            RouterServiceArgs(
                platform="cloud_run",
                config_json=CONFIG,
                labels=LABELS,
                region="europe-west4",
                image=IMAGE,
                replicas=3,
            ),
        ),
        config={"gcp:project": "acme"},
    )
    service = only(graph, "gcp:cloudrunv2/service:Service")
    container = service.inputs["template"]["containers"][0]
    assert container["image"] == IMAGE
    assert {"name": CONFIG_ENV, "value": CONFIG} in container["envs"]
    assert service.inputs["template"]["scaling"]["maxInstanceCount"] == 3
    assert service.inputs["ingress"] != "INGRESS_TRAFFIC_ALL"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"platform": "heroku"}, "platform: 'heroku' is not one of"),
        ({"platform": "lambda", "region": "eu-central-1"}, "code: required on platform 'lambda'"),
        ({"platform": "cloud_run", "region": "europe-west4"}, "image: required"),
        ({"platform": "kubernetes", "image": IMAGE}, "kubernetes_provider: required"),
        ({"platform": "edge"}, "edge_url: required"),
        ({"platform": "edge", "edge_url": "http://x:8088", "replicas": 0}, "replicas: 0"),
    ],
)
def test_invalid_arguments_create_nothing(args: dict[str, object], message: str) -> None:
    error, graph = refusal(
        lambda: RouterService(
            "router",
            RouterServiceArgs(config_json=CONFIG, labels=LABELS, **args),  # type: ignore[arg-type]
        )
    )
    assert message in str(error)
    assert graph.resources == []


def _router_policy(stack: str) -> dict[str, object]:
    graph = run_program(ROOT, load_stack(ROOT, stack))
    [policy] = [
        r
        for r in graph.resources
        if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name == "router-invoke"
    ]
    return json.loads(policy.inputs["policy"])


def test_shipped_stack_router_names_only_its_model_and_endpoint_arns() -> None:
    policy = _router_policy("prod-us-east-1")
    resources = {r for s in policy["Statement"] for r in s["Resource"]}  # type: ignore[index]
    assert resources
    assert all(
        ":us-east-1:" in r or ":us-east-2:" in r or ":us-west-2:" in r or "::foundation-model" in r
        for r in resources
    ), resources
    assert any(r.startswith("arn:aws:sagemaker:us-east-1:") for r in resources)
    assert any(r.startswith("arn:aws:bedrock:") for r in resources)
    assert not any(r.endswith("*") for r in resources)
