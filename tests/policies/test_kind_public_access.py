"""Issue 18, IP-SAF-001 evasions: every way a target or the router can be made public
(Cloud Run ``allUsers`` through an IAM member, binding or whole policy, v1 and v2, or the
project's IAM; Container Apps external ingress; a public Lambda permission; Azure public
network access in any case) is one normalised view (``policies.public``), and the rule
fires on each — on real plans of the shipped stacks, with the extra resource declared by
the real Pulumi SDK under the recording mock engine and parented under the real target or
router component."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pytest

from inferplane.plan import Graph
from inferplane.plan.graph import Resource as GraphResource
from inferplane.policies.config import default_policy
from inferplane.policies.engine import StackReport
from inferplane.policies.offline import check_graph
from inferplane.spec import load_stack, provider_regions
from tests.policies.support import ROOT
from tests.policies.wiring_world import planned
from tests.support.recording import record

CLOUD_RUN_STACK = "prod-europe-west4"
CONTAINER_APP_STACK = "prod-westeurope"
LAMBDA_STACK = "prod-us-east-1"
SERVICE = "prod-europe-west4-llama-run"
PROJECT = "inferplane-prod-eu"


def policy_data(*members: str, role: str = "roles/run.invoker") -> str:
    return json.dumps({"bindings": [{"role": role, "members": list(members)}]})


def declared(make: Callable[[], object]) -> GraphResource:
    """The one custom resource ``make`` declares, as the real SDK serialises it."""
    graph = record(make)
    [resource] = [r for r in graph.resources if r.custom]
    return resource


def component(graph: Graph, name: str) -> GraphResource:
    [found] = [r for r in graph.resources if r.is_component and r.name == name]
    return found


def splice(under: str, make: Callable[[], object]) -> Callable[[Graph], None]:
    """Add the resource ``make`` declares to the graph, as a child of component ``under``."""

    def mutate(graph: Graph) -> None:
        parent = component(graph, under)
        extra = declared(make)
        urn = f"{parent.urn.rsplit('::', 1)[0]}${extra.type}::{extra.name}"
        graph.resources.append(dataclasses.replace(extra, urn=urn, parent=parent.urn))

    return mutate


def set_input(name: str, path: str, value: Any) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        [resource] = [r for r in graph.resources if r.name == name]
        node = resource.inputs
        *steps, last = path.split(".")
        for step in steps:
            node = node.setdefault(step, {})
        node[last] = value

    return mutate


def both(*mutations: Callable[[Graph], None]) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        for m in mutations:
            m(graph)

    return mutate


def iam(kind: Callable[..., object], resource_name: str, /, **args: Any) -> Callable[[], object]:
    return lambda: kind(resource_name, **args)


V2 = {"name": SERVICE, "location": "europe-west4", "project": PROJECT}
V1 = {"service": SERVICE, "location": "europe-west4", "project": PROJECT}

# (label, stack, mutation, expected SAF-001 finding: (resource name, words) or None)
CASES: list[tuple[str, str, Callable[[Graph], None], tuple[str, str] | None]] = [
    ("v2 ServiceIamPolicy allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrunv2.ServiceIamPolicy, "open-policy",
                             policy_data=policy_data("allUsers"), **V2)),
     ("open-policy", "granted to allUsers (ServiceIamPolicy)")),
    ("v2 ServiceIamBinding allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrunv2.ServiceIamBinding, "open-binding",
                             role="roles/run.invoker", members=["allUsers"], **V2)),
     ("open-binding", "granted to allUsers (ServiceIamBinding)")),
    ("v2 ServiceIamMember allAuthenticatedUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrunv2.ServiceIamMember, "open-member",
                             role="roles/run.invoker", member="allAuthenticatedUsers", **V2)),
     ("open-member", "granted to allAuthenticatedUsers")),
    ("v2 ServiceIamMember allusers (case)", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrunv2.ServiceIamMember, "open-member",
                             role="roles/run.invoker", member="allusers", **V2)),
     ("open-member", "granted to allUsers")),
    ("v1 IamPolicy allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrun.IamPolicy, "open-v1-policy",
                             policy_data=policy_data("allUsers", role="roles/run.admin"), **V1)),
     ("open-v1-policy", "granted to allUsers (IamPolicy)")),
    ("v1 IamBinding allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrun.IamBinding, "open-v1-binding",
                             role="roles/run.invoker", members=["user:a@b.c", "allUsers"], **V1)),
     ("open-v1-binding", "granted to allUsers (IamBinding)")),
    ("v1 IamMember allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrun.IamMember, "open-v1-member",
                             role="roles/run.invoker", member="allUsers", **V1)),
     ("open-v1-member", "granted to allUsers (IamMember)")),
    ("project IAM grants run.invoker to allUsers", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.projects.IAMMember, "open-project",
                             project=PROJECT, role="roles/run.invoker", member="allUsers")),
     ("open-project", "every Cloud Run service is public")),
    ("router's Cloud Run service opened by a policy", CLOUD_RUN_STACK,
     splice("router-run", iam(gcp.cloudrunv2.ServiceIamPolicy, "open-router",
                              policy_data=policy_data("allUsers"),
                              name="prod-europe-west4-router", location="europe-west4",
                              project=PROJECT)),
     ("open-router", "granted to allUsers")),
    ("policy naming only a service account", CLOUD_RUN_STACK,
     splice("llama-run", iam(gcp.cloudrunv2.ServiceIamPolicy, "closed-policy",
                             policy_data=policy_data("serviceAccount:x@p.iam.gserviceaccount.com"),
                             **V2)),
     None),
    ("Container Apps target with external ingress", CONTAINER_APP_STACK,
     set_input("phi-aca-app", "configuration.ingress.external", True),
     ("phi-aca-app", "Container App with external ingress")),
    ("Container Apps router with external ingress", CONTAINER_APP_STACK,
     set_input("router-app-app", "configuration.ingress.external", True),
     ("router-app-app", "Container App with external ingress")),
    ("external ingress with an IP allow-list", CONTAINER_APP_STACK,
     set_input("phi-aca-app", "configuration.ingress",
               {"external": True, "targetPort": 8000.0,
                "ipSecurityRestrictions": [{"name": "office", "action": "Allow",
                                            "ipAddressRange": "203.0.113.0/24"}]}),
     None),
    ("Azure publicNetworkAccess enabled (lower case), keys on", CONTAINER_APP_STACK,
     both(set_input("gpt-4o-mini-account", "properties.publicNetworkAccess", "enabled"),
          set_input("gpt-4o-mini-account", "properties.disableLocalAuth", False)),
     ("gpt-4o-mini-account", "publicNetworkAccess Enabled")),
    ("Azure publicNetworkAccess Enabled, Entra only", CONTAINER_APP_STACK,
     set_input("gpt-4o-mini-account", "properties.publicNetworkAccess", "Enabled"),
     None),
    ("Lambda function URL auth none (lower case)", LAMBDA_STACK,
     set_input("summarize-fn-url", "authorizationType", "none"),
     ("summarize-fn-url", "authorizationType NONE")),
    ("Lambda permission for principal *", LAMBDA_STACK,
     splice("summarize-fn", lambda: aws.lambda_.Permission(
         "open-invoke", action="lambda:InvokeFunctionUrl", function="summarize-fn",
         principal="*", function_url_auth_type="NONE")),
     ("open-invoke", "principal '*'")),
    ("Lambda permission for principal * on an IAM-auth URL", LAMBDA_STACK,
     splice("summarize-fn", lambda: aws.lambda_.Permission(
         "iam-invoke", action="lambda:InvokeFunctionUrl", function="summarize-fn",
         principal="*", function_url_auth_type="AWS_IAM")),
     None),
]  # fmt: skip


# The spec key each finding names: the entry of the component the resource sits under.
SPEC_PATH = {
    "open-policy": "targets.llama-run.public",
    "open-binding": "targets.llama-run.public",
    "open-member": "targets.llama-run.public",
    "open-v1-policy": "targets.llama-run.public",
    "open-v1-binding": "targets.llama-run.public",
    "open-v1-member": "targets.llama-run.public",
    "open-project": "targets.llama-run.public",
    "open-router": "router.public",
    "phi-aca-app": "targets.phi-aca.public",
    "router-app-app": "router.public",
    "gpt-4o-mini-account": "targets.gpt-4o-mini.public",
    "summarize-fn-url": "targets.summarize-fn.public",
    "open-invoke": "targets.summarize-fn.public",
}


def check(graph: Graph) -> StackReport:
    stack_file = load_stack(ROOT, graph.stack)
    return check_graph(
        graph, stack_file.spec, default_policy(), provider_regions(stack_file.config)
    )


@pytest.mark.parametrize(("label", "stack", "mutate", "expected"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_every_way_to_go_public_is_found(
    label: str, stack: str, mutate: Callable[[Graph], None], expected: tuple[str, str] | None
) -> None:
    graph = planned(stack)
    assert not [f for f in check(graph).findings if f.rule.id == "IP-SAF-001"]
    mutate(graph)
    found = [f for f in check(graph).findings if f.rule.id == "IP-SAF-001"]
    if expected is None:
        assert found == [], [f.message for f in found]
        return
    name, words = expected
    assert [f.resource_name for f in found] == [name], [f.message for f in found]
    assert words in found[0].message
    assert found[0].blocking
    assert found[0].spec_path == SPEC_PATH[name]


def test_public_view_is_shared_with_the_router_key_rule() -> None:
    """IP-SAF-008 (router without API keys) reads the same view: a router opened by a
    ServiceIamPolicy is found there too."""
    from inferplane.policies.public import public_access
    from inferplane.policies.rules.saf_008_public_router_requires_keys import open_door

    resource = declared(
        iam(gcp.cloudrunv2.ServiceIamPolicy, "p", policy_data=policy_data("allUsers"), **V2)
    )
    from inferplane.policies.normalize import normalize

    normal = normalize(resource.type, resource.name, resource.urn, resource.inputs)
    assert public_access(normal) is not None
    assert open_door(normal) == f"'p': {public_access(normal)}"


_ = pulumi  # the SDK the recorded resources come from
