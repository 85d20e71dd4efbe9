"""RouterService puts the router on each platform with its config and least privilege."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from inferplane.components.aws.wiring import (
    SAGEMAKER_ACTIONS,
    aws_grant,
    bedrock_grants,
    grant_statements,
    lambda_url_grants,
)
from inferplane.components.router import CONFIG_ENV
from inferplane.components.router.aws_lambda import LambdaRouter, LambdaRouterArgs
from inferplane.components.router.cloud_run import CloudRunRouter, CloudRunRouterArgs
from inferplane.components.router.container_app import ContainerAppRouterArgs
from inferplane.components.router.edge import EdgeRouter, EdgeRouterArgs
from inferplane.components.router.kubernetes import KubernetesRouter, KubernetesRouterArgs
from inferplane.components.wiring import Grant
from inferplane.plan import Graph
from tests.components.routers import CONFIG, IMAGE, LABELS, cloud_run_args, cloud_run_router
from tests.support.recording import only, record, refusal

ROOT = Path(__file__).resolve().parents[2]
BEDROCK = "arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
SAGEMAKER = "arn:aws:sagemaker:eu-central-1:123456789012:endpoint/mistral"
FUNCTION = "arn:aws:lambda:eu-central-1:123456789012:function:summarize"


GRANTS = [
    *bedrock_grants([BEDROCK]),
    aws_grant(SAGEMAKER_ACTIONS, [SAGEMAKER]),
    *lambda_url_grants(FUNCTION),
]


def _lambda_router(grants: list[Grant]) -> Graph:
    return record(
        lambda: LambdaRouter(
            "router",
            LambdaRouterArgs(
                config_json=CONFIG,
                labels=LABELS,
                region="eu-central-1",
                code=pulumi.FileArchive("build/router/router-lambda.zip"),
                grants=grants,
            ),
        )
    )


def test_lambda_router_carries_its_config_and_iam_url_auth() -> None:
    graph = _lambda_router(GRANTS[:1])
    function = only(graph, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"][CONFIG_ENV] == CONFIG
    assert function.inputs["handler"] == "run.sh"
    assert "vpcConfig" not in function.inputs
    assert only(graph, "aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == (
        "AWS_IAM"
    )
    outputs = only(graph, "inferplane:index:RouterService").outputs
    assert outputs["config_json"] == CONFIG
    assert outputs["network"] == {"internet": True, "networks": [], "interface_endpoints": []}
    assert outputs["identity"] == [
        {"cloud": "aws", "principal": "arn:aws:iam::123456789012:role/router-fn-role"}
    ]


def test_lambda_router_may_invoke_exactly_the_targets_grants() -> None:
    # Duplicates merge; each (actions, condition) set is one statement.
    graph = _lambda_router([*GRANTS, *GRANTS[:1]])
    [invoke] = [r for r in graph.resources if r.name == "router-invoke"]
    assert json.loads(invoke.inputs["policy"])["Statement"] == [
        {
            "Sid": "Bedrock0",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [BEDROCK],
        },
        {
            "Sid": "Lambda1",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [FUNCTION],
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
        },
        {
            "Sid": "Lambda2",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunctionUrl"],
            "Resource": [FUNCTION],
        },
        {
            "Sid": "Sagemaker3",
            "Effect": "Allow",
            "Action": [
                "sagemaker:InvokeEndpoint",
                "sagemaker:InvokeEndpointWithResponseStream",
            ],
            "Resource": [SAGEMAKER],
        },
    ]


def test_no_aws_targets_means_no_invoke_policy() -> None:
    graph = _lambda_router([])
    assert [r.name for r in graph.by_type("aws:iam/rolePolicy:RolePolicy")] == [
        "router-fn-role-policy"
    ]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (aws_grant(["bedrock:InvokeModel"], ["*"]), "resource '\\*' for bedrock:InvokeModel"),
        (
            aws_grant(["s3:GetObject"], ["arn:aws:s3:::bucket/*"]),
            "'arn:aws:s3:::bucket/\\*' for s3:GetObject is not an exact ARN",
        ),
        (aws_grant(["lambda:InvokeFunction"], ["my-fn"]), "'my-fn' .* is not an exact ARN"),
    ],
)
def test_grant_statements_refuse_wildcards_and_non_arns(grant: Grant, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        grant_statements([grant])


def test_grant_statements_skip_other_clouds() -> None:
    gcp = Grant(cloud="gcp", actions=["roles/run.invoker"], resources=["projects/p"])
    assert grant_statements([gcp]) == []


def test_cloud_run_router_runs_the_image_with_the_config_env() -> None:
    graph = cloud_run_router(replicas=3)
    service = only(graph, "gcp:cloudrunv2/service:Service")
    container = service.inputs["template"]["containers"][0]
    assert container["image"] == IMAGE
    assert {"name": CONFIG_ENV, "value": CONFIG} in container["envs"]
    assert service.inputs["template"]["scaling"]["maxInstanceCount"] == 3
    assert service.inputs["ingress"] != "INGRESS_TRAFFIC_ALL"


@pytest.mark.parametrize(
    "build",
    [
        lambda: CloudRunRouter("router", cloud_run_args(replicas=0)),
        lambda: KubernetesRouter("router", _kubernetes_args(replicas=0)),
    ],
)
def test_invalid_replicas_create_nothing(build: Callable[[], object]) -> None:
    error, graph = refusal(build)
    assert "replicas: 0 must be at least 1" in str(error)
    assert _created(graph) == []


def test_a_kubernetes_router_calling_aws_targets_needs_its_eks_cluster() -> None:
    error, graph = refusal(lambda: KubernetesRouter("router", _kubernetes_args(grants=GRANTS)))
    assert "eks: None, but the router on Kubernetes calls AWS targets" in str(error)
    assert _created(graph) == []


def _created(graph: Graph) -> list[str]:
    """What a refused router left behind, besides the test's own cluster provider."""
    return [r.type for r in graph.resources if r.name != "cluster"]


def _kubernetes_args(**more: Any) -> KubernetesRouterArgs:
    provider = pulumi.ProviderResource("kubernetes", "cluster")
    return KubernetesRouterArgs(
        config_json=CONFIG,
        labels=LABELS,
        image=IMAGE,
        provider=provider,
        namespace="inference",
        **more,
    )


def test_edge_router_sits_on_its_sites_lan_only() -> None:
    # Old main published the placeholder (internet, no networks), so IP-WIR-001 found
    # every edge router unable to reach its own site (docs/wiring.md: `edge:<site>`).
    graph = record(
        lambda: EdgeRouter(
            "router",
            EdgeRouterArgs(
                config_json=CONFIG,
                labels=LABELS,
                url="https://munich-plant:8088",
                site="munich-plant",
            ),
        )
    )
    router = only(graph, "inferplane:index:RouterService")
    assert router.outputs["network"] == {
        "internet": False,
        "networks": ["edge:munich-plant"],
        "interface_endpoints": [],
    }
    assert router.outputs["identity"] == []
    assert router.outputs["url"] == "https://munich-plant:8088"


def test_lambda_router_in_a_fleets_vpc_is_admitted_and_says_where_it_sits() -> None:
    from inferplane.components.aws.gpu_fleet import GpuFleet
    from inferplane.components.router.aws_lambda import RouterVpc
    from tests.components.aws.fleets import BASE as FLEET

    def program() -> None:
        fleet = GpuFleet("llama", FLEET)
        LambdaRouter(
            "router",
            LambdaRouterArgs(
                config_json=CONFIG,
                labels=LABELS,
                region="us-east-1",
                code=pulumi.FileArchive("build/router/router-lambda.zip"),
                vpc=RouterVpc(fleet.vpc_id, fleet.subnet_ids, peers=(fleet,)),
            ),
        )

    graph = record(program)
    function = only(graph, "aws:lambda/function:Function").inputs
    assert function["vpcConfig"] == {
        "subnetIds": ["llama-net-private-0-id", "llama-net-private-1-id"],
        "securityGroupIds": ["router-sg-id"],
    }
    admitted = [
        r.inputs
        for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == "llama-alb-sg-id"
    ]
    assert [(a["referencedSecurityGroupId"], a["fromPort"]) for a in admitted] == [
        ("router-sg-id", 80)
    ]
    assert only(graph, "inferplane:index:RouterService").outputs["network"] == {
        "internet": True,
        "networks": ["llama-net-vpc-id"],
        "interface_endpoints": [],
    }


def test_each_platform_takes_only_its_own_arguments() -> None:
    """Old main: one RouterServiceArgs with every platform's fields, optional and narrowed
    by asserts. Each class now declares what its platform needs, required where needed."""
    shared = {"config_json", "labels"}
    runtime = shared | {"memory_mb", "environment"}
    image = runtime | {"image", "replicas"}
    expected = {
        LambdaRouterArgs: runtime
        | {"region", "code", "architecture", "grants", "vpc", "public", "name_prefix"},
        CloudRunRouterArgs: image
        | {
            "region",
            "service_account",
            "vpc_egress",
            "internet",
            "grants",
            "federated_identities",
            "public",
            "name_prefix",
        },
        ContainerAppRouterArgs: image
        | {
            "region",
            "managed_environment",
            "network",
            "grants",
            "public",
            "name_prefix",
            "secret_environment",  # the managed state's URL (deployment.router_state)
        },
        KubernetesRouterArgs: image
        | {
            "provider",
            "namespace",
            "targets",
            "callers",
            "scrapers",
            "internet",
            "grants",
            "eks",
            "state",  # where its managed Redis answers (deployment.router_state)
        },
        EdgeRouterArgs: shared | {"url", "site"},
    }
    for args, names in expected.items():
        assert {f.name for f in dataclasses.fields(args)} == names, args.__name__
    required = {
        f.name
        for f in dataclasses.fields(LambdaRouterArgs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert required == {"config_json", "labels", "region", "code"}


def test_the_kubernetes_router_gets_its_extra_environment() -> None:
    # Old main dropped RouterServiceArgs.environment on Kubernetes (only the config file).
    graph = record(
        lambda: KubernetesRouter("router", _kubernetes_args(environment={"LOG_LEVEL": "debug"}))
    )
    [deployment] = graph.by_type("kubernetes:apps/v1:Deployment")
    [container] = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "HOME": "/tmp",
        "LOG_LEVEL": "debug",
    }
