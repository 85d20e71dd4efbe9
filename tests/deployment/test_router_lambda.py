"""The Lambda router of each shipped AWS stack, planned whole (inferplane.plan): it sits
where it can reach every target and its role holds exactly the targets' grants."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.wiring import unreachable_reason
from inferplane.errors import SpecError
from inferplane.plan import Graph, run_program
from inferplane.plan.graph import Resource
from inferplane.spec import load_stack, parse_spec

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "aws:lambda/function:Function"
ROUTER = "inferplane:index:RouterService"
INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SM_INVOKE = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
HAIKU = "amazon.nova-lite-v1:0"
SONNET = "amazon.nova-pro-v1:0"
US_PROFILE = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET}"
EU_PROFILE = f"arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.{HAIKU}"
SUMMARIZE = "arn:aws:lambda:us-east-1:123456789012:function:prod-us-east-1-summarize-fn"
VIA_URL = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}


def _models(model: str, *regions: str) -> list[str]:
    return [f"arn:aws:bedrock:{r}::foundation-model/{model}" for r in regions]


# Every statement of the router's invoke policy, per stack: (actions, resources, condition).
READ_SECRET = ("secretsmanager:GetSecretValue",)
STATEMENTS: dict[str, list[tuple[tuple[str, ...], list[str], dict[str, Any] | None]]] = {
    "dev": [(INVOKE, _models(HAIKU, "us-east-1"), None)],
    "prod-us-east-1": [
        (
            INVOKE,
            _models(SONNET, "us-east-1", "us-east-2", "us-west-2"),
            {"StringEquals": {"bedrock:InferenceProfileArn": US_PROFILE}},
        ),
        (
            INVOKE,
            [US_PROFILE, "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/ac44e518pt0"],
            None,
        ),
        (("lambda:InvokeFunction",), [SUMMARIZE], VIA_URL),
        (("lambda:InvokeFunctionUrl",), [SUMMARIZE], None),
        (
            SM_INVOKE,
            ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-us-east-1-mistral-sm"],
            None,
        ),
        # The URL of its managed state (router.state), this one secret only.
        (
            READ_SECRET,
            ["arn:aws:secretsmanager:us-east-1:123456789012:secret/router-state-url"],
            None,
        ),
    ],
    "prod-eu-central-1": [
        (
            INVOKE,
            _models(HAIKU, "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
            {"StringEquals": {"bedrock:InferenceProfileArn": EU_PROFILE}},
        ),
        (INVOKE, [EU_PROFILE], None),
        (
            SM_INVOKE,
            [
                "arn:aws:sagemaker:eu-central-1:123456789012:endpoint/prod-eu-central-1-mistral-serverless"
            ],
            None,
        ),
        (
            READ_SECRET,
            ["arn:aws:secretsmanager:eu-central-1:123456789012:secret/router-state-url"],
            None,
        ),
    ],
}
# targets.<name>.auth in the rendered RouterConfig (AWS targets; edge sites are not ours).
AUTH: dict[str, dict[str, dict[str, Any]]] = {
    "dev": {"claude-haiku": {"scheme": "sigv4", "service": "bedrock"}},
    "prod-us-east-1": {
        "claude-sonnet": {"scheme": "sigv4", "service": "bedrock"},
        "claude-haiku-pt": {"scheme": "sigv4", "service": "bedrock"},
        "mistral-sm": {"scheme": "sigv4", "service": "sagemaker"},
        "summarize-fn": {"scheme": "sigv4", "service": "lambda"},
        "llama-fleet": {"scheme": "none"},
    },
    "prod-eu-central-1": {
        "claude-haiku-eu": {"scheme": "sigv4", "service": "bedrock"},
        "mistral-serverless": {"scheme": "sigv4", "service": "sagemaker"},
    },
}


@cache
def plan(stack: str) -> Graph:
    return run_program(ROOT, load_stack(ROOT, stack))


def named(graph: Graph, name: str, type_: str | None = None) -> Resource:
    [found] = [r for r in graph.resources if r.name == name and type_ in (None, r.type)]
    return found


def router_function(graph: Graph) -> Resource:
    return named(graph, "router-fn-function", FUNCTION)


@pytest.mark.parametrize("stack", sorted(STATEMENTS))
def test_router_role_holds_exactly_the_targets_grants(stack: str) -> None:
    policy = json.loads(named(plan(stack), "router-invoke").inputs["policy"])
    found = [(tuple(s["Action"]), s["Resource"], s.get("Condition")) for s in policy["Statement"]]
    assert found == STATEMENTS[stack]
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


@pytest.mark.parametrize("stack", sorted(AUTH))
def test_router_config_carries_each_aws_targets_auth(stack: str) -> None:
    config = json.loads(plan(stack).by_type(ROUTER)[0].outputs["config_json"])
    auth = {
        # Fields at their default are left out of the JSON: no auth means scheme none.
        name: {
            k: v
            for k, v in target.get("auth", {"scheme": "none"}).items()
            if k in ("scheme", "service")
        }
        for name, target in config["targets"].items()
        if name in AUTH[stack]
    }
    assert auth == AUTH[stack]


def test_prod_us_east_1_router_lambda_sits_in_the_fleets_private_subnets() -> None:
    graph = plan("prod-us-east-1")
    fleet = named(graph, "llama-fleet", "inferplane:aws:GpuFleet").outputs
    vpc = router_function(graph).inputs["vpcConfig"]
    assert vpc == {
        "subnetIds": ["llama-fleet-net-private-0-id", "llama-fleet-net-private-1-id"],
        # Its own group, and the one its managed state admits (router-state-cache).
        "securityGroupIds": ["router-sg-id", "router-state-client-id"],
    }
    assert fleet["subnet_ids"] == vpc["subnetIds"]
    assert named(graph, "router-sg").inputs["vpcId"] == fleet["vpc_id"] == "llama-fleet-net-vpc-id"
    # Lambda creates its ENIs with the managed VPC access policy.
    attached = {
        r.inputs["policyArn"]
        for r in graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("router-fn-")
    }
    assert attached == {"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}


def test_prod_us_east_1_fleet_alb_admits_the_router_and_only_it() -> None:
    graph = plan("prod-us-east-1")
    rules = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    into_alb = [
        {k: r.inputs.get(k) for k in ("referencedSecurityGroupId", "cidrIpv4", "fromPort")}
        for r in rules
        if r.inputs["securityGroupId"] == "llama-fleet-alb-sg-id"
    ]
    assert into_alb == [
        {"referencedSecurityGroupId": "router-sg-id", "cidrIpv4": None, "fromPort": 80}
    ]
    out = {
        r.name: (
            r.inputs["fromPort"],
            r.inputs.get("cidrIpv4"),
            r.inputs.get("referencedSecurityGroupId"),
        )
        for r in graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == "router-sg-id"
    }
    assert out == {
        "router-out-https": (443, "0.0.0.0/0", None),
        "router-out-peer-0": (80, None, "llama-fleet-alb-sg-id"),
    }


def test_prod_us_east_1_router_and_fleet_egress_through_nat() -> None:
    graph = plan("prod-us-east-1")
    routes = {
        r.name: r.inputs["routes"]
        for r in graph.by_type("aws:ec2/routeTable:RouteTable")
        if "private" in r.name
    }
    assert routes == {
        f"llama-fleet-net-private-{i}-rt": [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": f"llama-fleet-net-nat-{i}-id"}
        ]
        for i in (0, 1)
    }
    asg = graph.by_type("aws:autoscaling/group:Group")[0].inputs
    assert asg["vpcZoneIdentifiers"] == [
        "llama-fleet-net-private-0-id",
        "llama-fleet-net-private-1-id",
    ]


@pytest.mark.parametrize(
    ("stack", "network"),
    [
        ("dev", {"internet": True, "networks": [], "interface_endpoints": []}),
        # No fleet VPC to join: a private network of its own, for its ElastiCache.
        (
            "prod-eu-central-1",
            {"internet": True, "networks": ["router-network-vpc-id"], "interface_endpoints": []},
        ),
        (
            "prod-us-east-1",
            {"internet": True, "networks": ["llama-fleet-net-vpc-id"], "interface_endpoints": []},
        ),
    ],
)
def test_router_network_and_identity_and_every_aws_target_reachable(
    stack: str, network: dict[str, Any]
) -> None:
    graph = plan(stack)
    router = graph.by_type(ROUTER)[0].outputs
    assert router["network"] == network
    assert router["identity"] == [
        {"cloud": "aws", "principal": "arn:aws:iam::123456789012:role/router-fn-role"}
    ]
    assert ("vpcConfig" in router_function(graph).inputs) is bool(network["networks"])
    unreachable = {
        r.name: unreachable_reason(router["network"], r.outputs["endpoint"]["reach"])
        for r in graph.resources
        if r.type.startswith("inferplane:aws:") and r.name in AUTH[stack]
    }
    assert unreachable == dict.fromkeys(AUTH[stack])


def _us_spec() -> dict[str, Any]:
    return copy.deepcopy(load_stack(ROOT, "prod-us-east-1").config["inferplane:spec"])


def _second_fleet(data: dict[str, Any], **change: Any) -> dict[str, Any]:
    data["targets"]["llama-fleet-2"] = {**data["targets"]["llama-fleet"], **change}
    data["targets"]["llama-fleet-2"].pop("capacity")
    return data


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        (
            _second_fleet(_us_spec(), region="us-west-2"),
            "targets.llama-fleet-2.region",
            "the Lambda router runs in 'us-east-1'",
        ),
        (
            _second_fleet(_us_spec()),
            "targets",
            "gpu_fleets llama-fleet, llama-fleet-2 would sit in different VPCs",
        ),
    ],
)
def test_a_lambda_router_cannot_reach_fleets_outside_one_vpc(
    data: dict[str, Any], path: str, fragment: str
) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "test", {"aws": "us-east-1"})
    assert any(i.path == path and fragment in i.message for i in caught.value.issues), (
        caught.value.issues
    )


def test_fleets_sharing_a_named_vpc_are_accepted() -> None:
    network = {
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
    }
    data = _second_fleet(_us_spec(), network=network)
    data["targets"]["llama-fleet"]["network"] = network
    assert parse_spec(data, "test", {"aws": "us-east-1"}).targets["llama-fleet-2"]
