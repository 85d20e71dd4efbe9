"""Real plans of shipped stacks, and small graph mutations of them, for the wiring rules.

Until the component branches land, targets do not publish ``auth``/``reach``/``grants``
and the router publishes placeholder ``network``/``identity``. ``publish`` fills in what
a component leaves out, exactly as docs/wiring.md's tables say (a component that already
publishes keeps its own values); ``wire_*`` then make the graph what the aws/gcp/azure
work is building (the router in the fleet's VPC, the grant resources), so each test starts
from a compliant world and one mutation breaks it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from inferplane.plan import Graph, run_program
from inferplane.plan.graph import Resource as GraphResource
from inferplane.spec import load_stack, provider_regions
from policies.config import default_policy
from policies.engine import evaluate
from policies.model import Context
from policies.normalize import stack_from_graph
from policies.registry import all_rules
from tests.policies.support import ROOT

ROUTER = "inferplane:index:RouterService"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ROUTER_PRINCIPAL = "router-app-principal"
FUNCTION_URL_CONDITION = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}


@cache
def _planned(stack: str) -> str:
    return run_program(ROOT, load_stack(ROOT, stack)).to_json()


def planned(stack: str) -> Graph:
    """A fresh copy of the offline plan of ``stacks/Pulumi.<stack>.yaml``."""
    return Graph.from_dict(json.loads(_planned(stack)))


def findings(graph: Graph, rule_ids: Iterable[str]) -> set[tuple[str, str | None]]:
    """(rule, resource name) of every finding of ``rule_ids`` on ``graph``."""
    wanted = set(rule_ids)
    stack_file = load_stack(ROOT, graph.stack)
    stack = stack_from_graph(graph, stack_file.spec, provider_regions(stack_file.config))
    rules = [r for r in all_rules() if r.id in wanted]
    report = evaluate(stack, Context(default_policy(), stack_file.spec), rules)
    return {(f.rule.id, f.resource_name) for f in report.findings}


def messages(graph: Graph, rule_id: str) -> list[str]:
    stack_file = load_stack(ROOT, graph.stack)
    stack = stack_from_graph(graph, stack_file.spec, provider_regions(stack_file.config))
    rules = [r for r in all_rules() if r.id == rule_id]
    report = evaluate(stack, Context(default_policy(), stack_file.spec), rules)
    return [f.message for f in report.findings]


# --- graph access ------------------------------------------------------------------------


def named(graph: Graph, name: str, type_: str | None = None) -> GraphResource:
    found = [r for r in graph.resources if r.name == name and type_ in (None, r.type)]
    assert len(found) == 1, f"{name} {type_}: {[r.type for r in found]}"
    return found[0]


def router(graph: Graph) -> GraphResource:
    return next(r for r in graph.resources if r.type == ROUTER)


def config(graph: Graph) -> dict[str, Any]:
    return json.loads(router(graph).outputs["config_json"])  # type: ignore[no-any-return]


def set_config(graph: Graph, data: dict[str, Any]) -> None:
    router(graph).outputs["config_json"] = json.dumps(data, sort_keys=True)


def add(graph: Graph, type_: str, name: str, inputs: dict[str, Any], parent: str) -> None:
    urn = f"{parent}${type_}::{name}"
    graph.resources.append(
        GraphResource(urn, type_, name, parent, None, [], copy.deepcopy(inputs), True)
    )


def drop(graph: Graph, name: str, type_: str) -> None:
    graph.resources.remove(named(graph, name, type_))


# --- the wiring contract, per target component type (docs/wiring.md) --------------------


def _contract(component: GraphResource, graph: Graph) -> dict[str, Any]:
    out = component.outputs
    kind = component.type.rsplit(":", 1)[-1]
    arns = list(out.get("invoke_arns", []))
    if kind == "Bedrock":
        actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
        return _aws("bedrock", "bedrock-runtime", [_grant("aws", actions, arns)])
    if kind in ("SageMakerEndpoint", "SageMakerServerlessEndpoint"):
        actions = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
        return _aws("sagemaker", "sagemaker.runtime", [_grant("aws", actions, arns)])
    if kind == "LambdaFunction":
        grants = [
            _grant("aws", ["lambda:InvokeFunctionUrl"], arns),
            {**_grant("aws", ["lambda:InvokeFunction"], arns), "condition": FUNCTION_URL_CONDITION},
        ]
        return _aws("lambda", "lambda", grants)
    if kind == "GpuFleet":
        return {
            "auth": {"scheme": "none"},
            "reach": {"path": "vpc", "network": out["vpc_id"]},
            "grants": [],
        }
    if kind == "CloudRunService":
        service = next(
            r.inputs["name"]
            for r in graph.resources
            if r.parent == component.urn and r.type == "gcp:cloudrunv2/service:Service"
        )
        return {
            "auth": {"scheme": "google_id_token", "audience": out["url"]},
            "reach": {"path": "vpc", "network": "default"},
            "grants": [_grant("gcp", ["roles/run.invoker"], [service])],
        }
    if kind == "VertexEndpoint":
        project = out["url"].split("/projects/", 1)[1].split("/", 1)[0]
        return {
            "auth": {"scheme": "google_access_token"},
            "reach": {"path": "public"},
            "grants": [_grant("gcp", ["roles/aiplatform.user"], [f"projects/{project}"])],
        }
    if kind == "AzureOpenAI":
        return _entra(
            "https://cognitiveservices.azure.com/.default",
            "Cognitive Services OpenAI User",
            out["account_id"],
        )
    if kind == "AzureMlEndpoint":
        return _entra("https://ml.azure.com/.default", "AzureML Data Scientist", out["endpoint_id"])
    if kind == "ContainerAppService":
        return {
            "auth": {"scheme": "none"},
            "reach": {"path": "vpc", "network": out["environment_id"]},
            "grants": [],
        }
    if kind == "EdgeSite":
        return {
            "auth": {
                "scheme": "api_key",
                "secret": {"store": "aws_secretsmanager", "name": "edge-key"},
                "ca": {"store": "aws_secretsmanager", "name": "edge-ca"},
            },
            "reach": {"path": "edge", "network": out["site"], "via": "internet"},
            "grants": [],
        }
    raise AssertionError(f"no wiring contract for {component.type}")


def _grant(cloud: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"cloud": cloud, "actions": actions, "resources": resources}


def _aws(service: str, endpoint: str, grants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "auth": {"scheme": "sigv4", "service": service},
        "reach": {"path": "cloud_api", "service": endpoint},
        "grants": grants,
    }


def _entra(scope: str, role: str, resource_id: str) -> dict[str, Any]:
    return {
        "auth": {"scheme": "azure_entra", "scope": scope},
        "reach": {"path": "private_endpoint", "network": "router-vnet"},
        "grants": [_grant("azure", [role], [resource_id])],
    }


def publish(graph: Graph) -> Graph:
    """Every target publishes auth/reach/grants (its own, else the contract's) and the
    RouterConfig carries each target's published auth."""
    data = config(graph)
    for name, target in data["targets"].items():
        component = named(graph, name)
        endpoint = component.outputs["endpoint"]
        for key, value in _contract(component, graph).items():
            endpoint.setdefault(key, value)
        target["auth"] = endpoint["auth"]
        if endpoint["reach"]["path"] == "edge":
            target["url"] = target["url"].replace("http://", "https://")
    set_config(graph, data)
    return graph


# --- the router side, per platform --------------------------------------------------------


def wire_lambda(graph: Graph) -> Graph:
    """The router Lambda in the fleet's VPC (NAT for the cloud APIs) with a grant per
    target, the lambda:InvokeFunction one included."""
    publish(graph)
    out = router(graph).outputs
    vpcs = [c.outputs["vpc_id"] for c in graph.resources if c.type == "inferplane:aws:GpuFleet"]
    out["network"] = {"internet": True, "networks": vpcs, "interface_endpoints": []}
    role_arn = named(graph, "router-fn").outputs["role_arn"]
    out["identity"] = [{"cloud": "aws", "principal": role_arn}]
    if vpcs:
        function = named(graph, "router-fn-function")
        function.inputs["vpcConfig"] = {
            "subnetIds": ["subnet-0offlinea"],
            "securityGroupIds": ["sg-router"],
        }
    _grant_lambda_invoke(graph)
    return graph


def _grant_lambda_invoke(graph: Graph) -> None:
    policy = named(graph, "router-invoke", "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    arns = [
        a
        for c in graph.resources
        if c.type == "inferplane:aws:LambdaFunction" and c.name != "router-fn"
        for a in c.outputs["invoke_arns"]
    ]
    if arns:
        document["Statement"].append(
            {
                "Sid": "InvokeLambdaViaUrl",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": arns,
                "Condition": FUNCTION_URL_CONDITION,
            }
        )
    policy.inputs["policy"] = json.dumps(document)


def wire_container_app(graph: Graph) -> Graph:
    """The router app in a VNet-integrated environment with private endpoints to the
    Azure OpenAI account and ML workspace, and a role assignment per target."""
    publish(graph)
    out = router(graph).outputs
    env = named(graph, "router-app").outputs["environment_id"]
    out["network"] = {"internet": True, "networks": ["router-vnet", env], "interface_endpoints": []}
    out["identity"] = [{"cloud": "azure", "principal": ROUTER_PRINCIPAL}]
    parent = router(graph).urn
    for account in [r for r in graph.resources if r.type in PRIVATE_LINKED]:
        add(
            graph,
            "azure-native:network:PrivateEndpoint",
            f"{account.name}-pe",
            {
                "privateLinkServiceConnections": [
                    {"privateLinkServiceId": f"{SUBSCRIPTION}/providers/x/{account.name}-id"}
                ]
            },
            account.parent or parent,
        )
    for name, target in config(graph)["targets"].items():
        for grant in named(graph, name).outputs["endpoint"]["grants"]:
            add(
                graph,
                "azure-native:authorization:RoleAssignment",
                f"{name}-router-role",
                {
                    "principalId": ROUTER_PRINCIPAL,
                    "principalType": "ServicePrincipal",
                    "roleDefinitionId": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/"
                    f"roleDefinitions/{AZURE_ROLE_IDS[grant['actions'][0]]}",
                    "scope": grant["resources"][0],
                },
                parent,
            )
        del target
    return graph


PRIVATE_LINKED = (
    "azure-native:cognitiveservices:Account",
    "azure-native:machinelearningservices:Workspace",
)
AZURE_ROLE_IDS = {
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
}


def wire_cloud_run(graph: Graph) -> Graph:
    """The router service with Direct VPC egress and IAM members for its targets."""
    publish(graph)
    out = router(graph).outputs
    email = named(graph, "router-run").outputs["service_account"]
    out["network"] = {"internet": True, "networks": ["default"], "interface_endpoints": []}
    out["identity"] = [{"cloud": "gcp", "principal": email}]
    service = named(graph, "router-run-service")
    service.inputs["template"]["vpcAccess"] = {
        "egress": "PRIVATE_RANGES_ONLY",
        "networkInterfaces": [{"network": "default", "subnetwork": "default"}],
    }
    parent = router(graph).urn
    for name in config(graph)["targets"]:
        for grant in named(graph, name).outputs["endpoint"]["grants"]:
            resource = grant["resources"][0]
            if resource.startswith("projects/"):
                inputs = {"project": resource.split("/", 1)[1]}
                type_ = "gcp:projects/iAMMember:IAMMember"
            else:
                inputs = {"name": resource, "location": "europe-west4"}
                type_ = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
            add(
                graph,
                type_,
                f"{name}-router-member",
                {**inputs, "role": grant["actions"][0], "member": f"serviceAccount:{email}"},
                parent,
            )
    return graph
