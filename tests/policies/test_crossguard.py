"""The CrossGuard adapter, driven the way the analyzer drives it: hand-built
ResourceValidationArgs / StackValidationArgs with props wrapped in the SDK's
unknown-checking proxy, calling each policy's ``validate``. No PolicyPack is built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from inferplane.plan import Graph
from inferplane.policies.config import default_policy, parse_policy
from inferplane.policies.crossguard import build_policies, initial_config, plain
from inferplane.policies.values import UNKNOWN
from tests.policies.cases import router_config
from tests.policies.support import stack_data, tags, urn

POLICIES = {p.name: p for p in build_policies(default_policy())}
AWS_PROVIDER = PolicyProviderResource(
    "pulumi:providers:aws",
    {"region": "us-east-1"},
    "urn:pulumi:test::inferplane::pulumi:providers:aws::default",
    "default",
)


def opts(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def validate_resource(
    policy_name: str,
    type_: str,
    props: dict[str, Any],
    *,
    provider: PolicyProviderResource | None = AWS_PROVIDER,
    config: dict[str, Any] | None = None,
) -> list[tuple[str, str | None]]:
    policy = POLICIES[policy_name]
    assert isinstance(policy, ResourceValidationPolicy)
    reported: list[tuple[str, str | None]] = []
    args = ResourceValidationArgs(
        type_, unknown_checking_proxy(props), urn(type_, "r"), "r", opts(), provider, config
    )

    def report(message: str, u: str | None = None) -> None:
        reported.append((message, u))

    policy.validate(args, report)
    return reported


def policy_resource(
    type_: str,
    name: str,
    props: dict[str, Any],
    parent: PolicyResource | None = None,
    dependencies: list[PolicyResource] | None = None,
) -> PolicyResource:
    return PolicyResource(
        type_,
        unknown_checking_proxy(props),
        urn(type_, name, "inferplane:router:Router"),
        name,
        opts(parent.urn if parent else None),
        AWS_PROVIDER,
        parent,
        dependencies or [],
        {},
    )


def validate_stack(
    policy_name: str, resources: list[PolicyResource]
) -> list[tuple[str, str | None]]:
    policy = POLICIES[policy_name]
    assert isinstance(policy, StackValidationPolicy)
    reported: list[tuple[str, str | None]] = []

    def report(message: str, u: str | None = None) -> None:
        reported.append((message, u))

    policy.validate(StackValidationArgs(resources, {}), report)
    return reported


def test_one_policy_per_rule_with_its_metadata() -> None:
    from inferplane.policies.registry import all_rules

    rules = all_rules()
    assert set(POLICIES) == {r.name for r in rules}
    for rule in rules:
        policy = POLICIES[rule.name]
        assert policy.enforcement_level == EnforcementLevel(rule.enforcement.value)
        assert policy.severity is not None
        assert policy.severity.value == rule.severity.value
        assert policy.remediation_steps == rule.remediation
        expected = ResourceValidationPolicy if rule.scope == "resource" else StackValidationPolicy
        assert isinstance(policy, expected)


def test_org_policy_sets_enforcement_per_rule() -> None:
    org = parse_policy(
        {
            "rules": {
                "IP-SAF-005": {"enforcement": "advisory"},
                "IP-CAP-006": {"enforcement": "disabled"},
            }
        },
        "t",
    )
    policies = {p.name: p for p in build_policies(org)}
    assert policies["max-scale-capped"].enforcement_level is EnforcementLevel.ADVISORY
    assert (
        policies["commitment-forecast-utilisation"].enforcement_level is EnforcementLevel.DISABLED
    )
    assert initial_config(org)["max-scale-capped"] is EnforcementLevel.ADVISORY


def test_resource_violation_is_reported() -> None:
    found = validate_resource(
        "no-unauthenticated-public-endpoint",
        "aws:lambda/functionUrl:FunctionUrl",
        {"authorizationType": "NONE", "functionName": "fn"},
    )
    assert len(found) == 1
    assert "authorizationType NONE" in found[0][0]


def test_compliant_resource_reports_nothing() -> None:
    props = {"bucket": "b", "tags": tags()}
    assert (
        validate_resource("resource-region-allowed-for-data-class", "aws:s3/bucket:Bucket", props)
        == []
    )
    assert validate_resource("required-tags", "aws:s3/bucket:Bucket", props) == []


def test_unknown_values_during_preview_do_not_raise_or_violate() -> None:
    assert (
        validate_resource(
            "no-unauthenticated-public-endpoint",
            "aws:lambda/functionUrl:FunctionUrl",
            {"authorizationType": UNKNOWN_STRING_VALUE},
        )
        == []
    )
    lt = {
        "metadataOptions": {"httpTokens": UNKNOWN_STRING_VALUE},
        "blockDeviceMappings": UNKNOWN_STRING_VALUE,
    }
    assert validate_resource("imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate", lt) == []
    assert validate_resource("encrypted-volumes", "aws:ec2/launchTemplate:LaunchTemplate", lt) == []


def test_plain_unwraps_proxies_and_marks_unknowns() -> None:
    proxied = unknown_checking_proxy(
        {"a": [1, {"b": UNKNOWN_STRING_VALUE}], "c": UNKNOWN_STRING_VALUE}
    )
    assert plain(proxied) == {"a": [1, {"b": UNKNOWN}], "c": UNKNOWN}


def test_region_comes_from_the_provider() -> None:
    provider = PolicyProviderResource(
        "pulumi:providers:aws", {"region": "eu-west-1"}, "urn:p", "eu"
    )
    found = validate_resource(
        "resource-region-allowed-for-data-class",
        "aws:s3/bucket:Bucket",
        {"bucket": "b", "tags": tags(zone="us")},
        provider=provider,
    )
    assert len(found) == 1
    assert "eu-west-1" in found[0][0]


def test_policy_config_names_the_org_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("max_scale: {prod: 4}\n")
    asg = {"maxSize": 8.0, "minSize": 0.0, "tags": [{"key": "environment", "value": "prod"}]}
    assert validate_resource("max-scale-capped", "aws:autoscaling/group:Group", asg) == []
    found = validate_resource(
        "max-scale-capped", "aws:autoscaling/group:Group", asg, config={"orgPolicyFile": str(path)}
    )
    assert len(found) == 1
    assert "cap of 4" in found[0][0]


def router_lambda(config: str) -> PolicyResource:
    props = {
        "environment": {"variables": {"INFERPLANE_ROUTER_CONFIG": config}},
        "tags": tags(environment="dev", target=None, data_class="internal"),
    }
    return policy_resource("aws:lambda/function:Function", "router-fn", props)


def test_stack_policy_reads_the_routing_table() -> None:
    config = json.loads(router_config("dev"))
    assert (
        validate_stack("router-routes-respect-placement", [router_lambda(json.dumps(config))]) == []
    )
    config["targets"]["claude-haiku"]["allowed_data_classes"].append("restricted")
    found = validate_stack("router-routes-respect-placement", [router_lambda(json.dumps(config))])
    assert found
    assert found[0][1] is not None
    assert found[0][1].endswith("::router-fn")
    assert "restricted" in found[0][0]


def test_stack_policy_unknown_router_config_in_preview() -> None:
    assert (
        validate_stack("router-routes-respect-placement", [router_lambda(UNKNOWN_STRING_VALUE)])
        == []
    )


def test_stack_policy_follows_dependency_objects() -> None:
    lt = policy_resource(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "fleet-lt",
        {"instanceType": "g5.2xlarge", "tags": tags()},
    )
    asg = policy_resource(
        "aws:autoscaling/group:Group",
        "fleet-asg",
        {
            "minSize": 2.0,
            "maxSize": 4.0,
            "launchTemplate": {"id": UNKNOWN_STRING_VALUE},
            "tags": [{"key": "environment", "value": "prod"}],
        },
        dependencies=[lt],
    )
    found = validate_stack("prod-gpu-baseline-reserved", [lt, asg])
    assert len(found) == 1
    assert "g5.2xlarge" in found[0][0]
    assert found[0][1] == asg.urn


def test_stack_spec_from_the_engine_config(monkeypatch: pytest.MonkeyPatch) -> None:
    config = stack_data("prod-us-east-1")
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {"aws:region": "us-east-1", "inferplane:spec": json.dumps(config["inferplane:spec"])}
        ),
    )
    pmt = policy_resource(
        "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput",
        "pt",
        {
            "modelUnits": 500.0,
            "commitmentDuration": "OneMonth",
            "tags": tags(**{"capacity-approval": "CHG-1"}),
        },
    )
    found = validate_stack("commitment-forecast-utilisation", [pmt])
    assert len(found) == 1
    assert "tokens/min" in found[0][0]
    monkeypatch.delenv("PULUMI_CONFIG")
    assert validate_stack("commitment-forecast-utilisation", [pmt]) == []  # no spec, no forecast


def test_unparsable_spec_is_a_critical_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    # Old main: a spec that failed to parse was treated as absent and the pack passed.
    from inferplane.policies.crossguard import parsed_spec

    config = stack_data("prod-us-east-1")
    config["inferplane:spec"]["targets"]["claude-sonnet"]["kind"] = "bedrockx"
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {"aws:region": "us-east-1", "inferplane:spec": json.dumps(config["inferplane:spec"])}
        ),
    )
    parsed_spec.cache_clear()
    found = validate_stack("stack-spec-parses", [])
    assert len(found) == 1
    assert "does not parse" in found[0][0]
    assert "kind" in found[0][0]
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"inferplane:spec": "{not json"}))
    assert len(validate_stack("stack-spec-parses", [])) == 1
    monkeypatch.delenv("PULUMI_CONFIG")
    assert validate_stack("stack-spec-parses", []) == []  # no spec given: nothing to parse


def test_refused_org_policy_fails_every_policy_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from inferplane.policies import crossguard

    path = tmp_path / "org.yaml"
    path.write_text("rules: {IP-RES-006: {enforcement: disabled}}\n")
    monkeypatch.setenv(crossguard.POLICY_ENV, str(path))
    crossguard._policy_from.cache_clear()
    try:
        found = validate_stack("router-routes-respect-placement", [])
        assert len(found) == 1
        assert found[0][0].startswith("org policy refused")
        assert "IP-RES-006" in found[0][0]
    finally:
        crossguard._policy_from.cache_clear()


def graph_as_policy_resources(graph: Graph) -> list[PolicyResource]:
    """Every resource of an offline plan as CrossGuard hands it to a stack policy:
    custom resources with their inputs, components with their registered outputs."""
    built: dict[str, PolicyResource] = {}
    for r in graph.resources:
        if r.type.startswith("pulumi:"):
            continue
        props = r.inputs if r.custom else r.outputs
        built[r.urn] = PolicyResource(
            r.type,
            unknown_checking_proxy(props),
            r.urn,
            r.name,
            opts(r.parent),
            None,
            built.get(r.parent or ""),
            [],
            {},
        )
    return list(built.values())


ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def test_wiring_rules_run_the_same_in_crossguard() -> None:
    from tests.policies.wiring_world import planned

    graph = planned("prod-westeurope")  # the real plan: router-app + its role assignments
    resources = graph_as_policy_resources(graph)
    for name in (
        "router-reaches-every-target",
        "router-granted-what-it-calls",
        "router-auth-matches-target",
        "private-target-not-internet-reachable",
    ):
        assert validate_stack(name, resources) == [], name
    assert [r.name for r in graph.resources if r.type == ROLE_ASSIGNMENT] == [
        "router-gpt-4o-mini-role",
        "router-mistral-ml-role",
    ]
    graph.resources = [r for r in graph.resources if r.name != "router-gpt-4o-mini-role"]
    found = validate_stack("router-granted-what-it-calls", graph_as_policy_resources(graph))
    assert [u for _, u in found] == [
        next(r.urn for r in graph.resources if r.name == "gpt-4o-mini" and not r.custom)
    ]
    # Cognitive Services OpenAI User, by its role definition ID, on the account
    assert "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd on gpt-4o-mini-account-id" in found[0][0]
