from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pytest

from inferplane.components.aws.iam import Statement
from inferplane.components.aws.lambda_function import LambdaFunction, LambdaFunctionArgs, LambdaVpc
from tests.components.aws.helpers import (
    LABELS,
    component,
    regionless,
    statement_resources,
    untagged_aws,
)
from tests.support.recording import one, record

MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
INVOKE = Statement(actions=("bedrock:InvokeModel",), resources=[MODEL_ARN])
BASE = LambdaFunctionArgs(
    region="us-east-1",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): return {}")}),
    handler="app.handler",
    labels=LABELS,
    name_prefix="p-summarize",
    environment={"MODEL_ID": "anthropic.claude-3-haiku-20240307-v1:0"},
    reserved_concurrency=20,
    statements=(INVOKE,),
    model="claude-haiku",
)
URL = "aws:lambda/functionUrl:FunctionUrl"


def build(args: LambdaFunctionArgs) -> Any:
    return record(lambda: LambdaFunction("fn", args))


def test_function_url_requires_iam_and_role_names_exactly_the_model() -> None:
    graph = build(BASE)
    assert graph.type_counts() == {
        "inferplane:aws:LambdaFunction": 1,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:lambda/function:Function": 1,
        URL: 1,
    }
    assert one(graph, URL).inputs["authorizationType"] == "AWS_IAM"
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/p-summarize:*"
    assert statement_resources(one(graph, "aws:iam/rolePolicy:RolePolicy")) == [
        log_group,
        MODEL_ARN,
    ]
    function = one(graph, "aws:lambda/function:Function").inputs
    assert function["reservedConcurrentExecutions"] == 20
    assert function["handler"] == "app.handler"
    assert function["environment"]["variables"] == {"MODEL_ID": BASE.environment["MODEL_ID"]}
    assert function["loggingConfig"]["logGroup"] == "/aws/lambda/p-summarize"
    assert one(graph, "aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 30
    outputs = component(graph, "inferplane:aws:LambdaFunction").outputs
    assert outputs["endpoint"]["backend"] == "lambda_url"  # AWS_IAM: signed calls
    assert outputs["endpoint"]["url"].endswith(".lambda-url.us-east-1.on.aws/v1")
    assert outputs["endpoint"]["model"] == "claude-haiku"
    assert outputs["invoke_arns"] == ["arn:aws:lambda:us-east-1:123456789012:function:p-summarize"]
    assert outputs["url_auth"] == "AWS_IAM"
    assert not untagged_aws(graph)
    assert not regionless(graph)


def test_public_url_has_no_auth_and_both_public_grants() -> None:
    graph = build(replace(BASE, public=True))
    assert one(graph, URL).inputs["authorizationType"] == "NONE"
    grants = {p.inputs["action"] for p in graph.by_type("aws:lambda/permission:Permission")}
    assert grants == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}


def test_router_shaped_use_vpc_streaming_and_attached_policies() -> None:
    policy = "arn:aws:iam::123456789012:policy/router-extra"
    vpc = LambdaVpc(subnet_ids=("subnet-1",), security_group_ids=("sg-1",))
    graph = build(
        replace(BASE, vpc=vpc, invoke_mode="RESPONSE_STREAM", policy_arns=(policy,), statements=())
    )
    attached = {
        a.inputs["policyArn"]
        for a in graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        policy,
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    }
    assert one(graph, URL).inputs["invokeMode"] == "RESPONSE_STREAM"
    function = one(graph, "aws:lambda/function:Function")
    assert function.inputs["vpcConfig"]["subnetIds"] == ["subnet-1"]
    # The function waits for its permissions.
    assert {
        a.urn for a in graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    } <= set(function.dependencies)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"handler": "handler"}, "handler: 'handler' is not 'module.function'"),
        ({"runtime": "python2.0"}, "runtime: 'python2.0' is not allowed"),
        ({"architecture": "riscv"}, "architecture: 'riscv' is not allowed"),
        ({"memory_mb": 64}, r"memory_mb: 64 is out of range; allowed: 128\.\.10240"),
        ({"timeout_s": 901}, r"timeout_s: 901 is out of range; allowed: 1\.\.900"),
        ({"reserved_concurrency": -1}, "reserved_concurrency: -1 is out of range"),
        ({"log_retention_days": 31}, "log_retention_days: 31 is not allowed"),
        ({"invoke_mode": "CHUNKED"}, "invoke_mode: 'CHUNKED' is not allowed"),
        ({"vpc": LambdaVpc((), ("sg-1",))}, "vpc: needs at least one subnet_id"),
        ({"openai_base_path": "v1"}, "openai_base_path: 'v1' must start with '/'"),
        ({"environment": {"AWS_REGION": "x"}}, "environment: 'AWS_REGION' is reserved"),
        ({"region": "eu-north-9"}, "region: 'eu-north-9' is not an AWS region"),
    ],
)
def test_invalid_arguments(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        # Checked before anything registers: no engine needed to see the refusal.
        LambdaFunction("x", replace(BASE, **change))
