"""The rules as Pulumi CrossGuard policies. ``policies/__main__.py`` hands these to a
PolicyPack; tests call their ``validate`` directly with hand-built
``ResourceValidationArgs`` / ``StackValidationArgs``.

CrossGuard gives a resource rule the resource's inputs and a stack rule every resource's
state, wrapped in proxies that raise ``UnknownValueError`` on values unknown during
preview. ``plain`` turns them into plain values with the offline ``[unknown]`` marker, so
rules never see a proxy and never raise on an unknown.

Context per pack run: the org policy from the policy config property ``orgPolicyFile``
(or ``INFERPLANE_POLICY_CONFIG``, else the built-in default) and the stack spec from the
stack's config (``inferplane:spec``) when the engine passes it to the pack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_policy as cg
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.proxy import UnknownValueError

from inferplane.spec import StackSpec
from policies.config import OrgPolicy, load_policy
from policies.model import Context, Enforcement, Resource, ResourceRule, Rule, Stack, StackRule
from policies.normalize import inherit_tags, normalize
from policies.registry import all_rules
from policies.values import UNKNOWN

__all__ = [
    "CONFIG_SCHEMA",
    "build_policies",
    "enforce_org_policy",
    "initial_config",
    "org_policy_servicer",
    "plain",
]

POLICY_ENV = "INFERPLANE_POLICY_CONFIG"
CONFIG_SCHEMA = cg.PolicyConfigSchema(
    properties={
        "orgPolicyFile": {
            "type": "string",
            "description": "Path to the org policy file (YAML/JSON, see docs/policies.md).",
        }
    }
)
COMPONENT_PREFIX = "inferplane:"
PROVIDER_CONFIG = {"aws": "aws:region", "gcp": "gcp:region", "azure": "azure-native:location"}


def plain(value: object) -> Any:
    """A CrossGuard property value as plain data; unknowns become ``[unknown]``."""
    if isinstance(value, Mapping):
        return {str(k): plain(_item(value, k)) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(_item(value, i)) for i in range(len(value))]
    return value


def _item(container: Any, key: Any) -> object:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN


@cache
def _policy_from(path: str | None) -> OrgPolicy:
    return load_policy(Path(path) if path else None)


def org_policy(config: Mapping[str, Any]) -> OrgPolicy:
    path = config.get("orgPolicyFile") or os.environ.get(POLICY_ENV)
    return _policy_from(str(path) if path else None)


def stack_config() -> tuple[StackSpec | None, dict[str, str], str | None]:
    """The stack spec, provider regions and why the spec does not parse (if it does
    not), from the config the engine passes the pack (``PULUMI_CONFIG``); (None, {},
    None) outside a pulumi run."""
    import pulumi

    raw = {k: pulumi.runtime.get_config(k) for k in ("inferplane:spec", *PROVIDER_CONFIG.values())}
    regions = tuple(
        (cloud, str(raw[key])) for cloud, key in PROVIDER_CONFIG.items() if raw.get(key)
    )
    spec_text = raw.get("inferplane:spec")
    spec, problem = parsed_spec(str(spec_text) if spec_text else None, regions)
    return spec, dict(regions), problem


@cache
def parsed_spec(
    text: str | None, regions: tuple[tuple[str, str], ...]
) -> tuple[StackSpec | None, str | None]:
    """The spec in ``text`` and None, or None and why it does not parse (IP-SAF-009
    reports it: an unparsable spec is never treated as absent)."""
    # Parsed once per pack process: every resource's validation asks for it.
    if text is None:
        return None, None
    from inferplane.errors import InferplaneError
    from inferplane.spec import parse_spec

    try:
        return parse_spec(json.loads(text), "stack config", dict(regions)), None
    except (InferplaneError, ValueError) as exc:
        return None, str(exc)


def resource_from_args(args: cg.ResourceValidationArgs, regions: Mapping[str, str]) -> Resource:
    provider = plain(args.provider.props) if args.provider is not None else None
    return normalize(
        args.resource_type,
        args.name,
        args.urn,
        plain(args.props),
        provider=provider,
        default_regions=regions,
        parent=args.opts.parent if args.opts is not None else None,
    )


def stack_from_args(args: cg.StackValidationArgs, spec: StackSpec | None,
                    regions: Mapping[str, str]) -> Stack:  # fmt: skip
    normalized = [
        normalize(
            r.resource_type,
            r.name,
            r.urn,
            plain(r.props),
            provider=plain(r.provider.props) if r.provider is not None else None,
            default_regions=regions,
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
        )
        for r in args.resources
        if not r.resource_type.startswith("pulumi:")
    ]
    # Components (ours are ``inferplane:*``) carry their registered outputs as props: the
    # wiring rules read them; resource rules never see them.
    components = [r for r in normalized if r.type.startswith(COMPONENT_PREFIX)]
    resources = [r for r in normalized if not r.type.startswith(COMPONENT_PREFIX)]
    return Stack(os.environ.get("PULUMI_STACK", "stack"), inherit_tags(resources), spec, components)


ReportViolation = Callable[[str, str | None], None]


def _org_policy_or_report(
    config: Mapping[str, Any], report_violation: ReportViolation
) -> OrgPolicy | None:
    # A refused org policy file (e.g. one that disables a critical rule without its hash
    # pinned) fails every policy closed instead of falling back to anything.
    from inferplane.errors import InferplaneError

    try:
        return org_policy(config)
    except InferplaneError as exc:
        report_violation(f"org policy refused: {exc}", None)
        return None


def _resource_validate(
    rule: ResourceRule,
) -> Callable[[cg.ResourceValidationArgs, ReportViolation], None]:
    def validate(args: cg.ResourceValidationArgs, report_violation: ReportViolation) -> None:
        spec, regions, problem = stack_config()
        resource = resource_from_args(args, regions)
        if not rule.applies_to(resource):
            return
        policy = _org_policy_or_report(args.get_config(), report_violation)
        if policy is None:
            return
        ctx = Context(policy, spec, problem)
        for violation in rule.evaluate(resource, ctx):
            report_violation(violation.message, None)

    return validate


def _stack_validate(rule: StackRule) -> Callable[[cg.StackValidationArgs, ReportViolation], None]:
    def validate(args: cg.StackValidationArgs, report_violation: ReportViolation) -> None:
        spec, regions, problem = stack_config()
        stack = stack_from_args(args, spec, regions)
        policy = _org_policy_or_report(args.get_config(), report_violation)
        if policy is None:
            return
        ctx = Context(policy, spec, problem)
        for violation in rule.evaluate(stack, ctx):
            report_violation(violation.message, violation.urn)

    return validate


def _level(enforcement: Enforcement) -> cg.EnforcementLevel:
    return cg.EnforcementLevel(enforcement.value)


def _common(rule: Rule, policy: OrgPolicy) -> dict[str, Any]:
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": _level(policy.enforcement(rule.id, rule.enforcement)),
        "config_schema": CONFIG_SCHEMA,
        "display_name": f"{rule.id} {rule.name}",
        "severity": cg.Severity(rule.severity.value),
        "tags": [rule.family, rule.id],
        "remediation_steps": rule.remediation,
    }


def build_policies(policy: OrgPolicy | None = None) -> list[cg.Policy]:
    """One CrossGuard policy per rule, named by the rule's kebab-case name, with the org
    policy's per-rule enforcement as its default level."""
    policy = policy or org_policy({})
    built: list[cg.Policy] = []
    for rule in all_rules():
        if isinstance(rule, ResourceRule):
            built.append(
                cg.ResourceValidationPolicy(
                    validate=_resource_validate(rule), **_common(rule, policy)
                )
            )
        elif isinstance(rule, StackRule):
            built.append(
                cg.StackValidationPolicy(validate=_stack_validate(rule), **_common(rule, policy))
            )
    return built


def initial_config(policy: OrgPolicy) -> dict[str, cg.EnforcementLevel | dict[str, Any]]:
    """The pack's initial config: each rule's enforcement from the org policy."""
    return {r.name: _level(policy.enforcement(r.id, r.enforcement)) for r in all_rules()}


_WIRE_LEVEL = {
    Enforcement.ADVISORY: analyzer_pb2.ADVISORY,
    Enforcement.MANDATORY: analyzer_pb2.MANDATORY,
    Enforcement.DISABLED: analyzer_pb2.DISABLED,
}


def enforce_org_policy(request: analyzer_pb2.ConfigureAnalyzerRequest) -> None:
    """Set each policy's enforcement in the engine's ``Configure`` request to the one the
    org policy gives its rule, in place.

    The engine reconciles enforcement before the pack sees any config: the policy's level
    and the pack's initial config (both from the org policy the pack *started* with), then
    ``--policy-pack-config``. An ``orgPolicyFile`` named in that config therefore reached
    the rules but not their levels (its overrides and disabled rules were ignored), and
    the pack config could set any level, even disable a critical rule. The org policy is
    the one place enforcement is decided, as in ``inferplane check``; an org policy that is
    refused makes every policy mandatory, so its "org policy refused" report blocks."""
    from inferplane.errors import InferplaneError

    rules = {rule.name: rule for rule in all_rules()}
    for name, entry in request.policyConfig.items():
        rule = rules.get(name)
        if rule is None:
            continue
        try:
            policy = org_policy(json_format.MessageToDict(entry.properties))
        except InferplaneError:
            entry.enforcementLevel = analyzer_pb2.MANDATORY
            continue
        entry.enforcementLevel = _WIRE_LEVEL[policy.enforcement(rule.id, rule.enforcement)]


def org_policy_servicer(base: type[Any]) -> type[Any]:
    """``base`` (pulumi_policy's analyzer servicer) with ``Configure`` passed through
    ``enforce_org_policy`` first. ``policies/__main__.py`` installs it before building the
    pack: PolicyPack offers no public hook on Configure."""

    class OrgPolicyServicer(base):  # type: ignore[misc]
        def Configure(self, request: analyzer_pb2.ConfigureAnalyzerRequest, context: Any) -> Any:
            enforce_org_policy(request)
            return super().Configure(request, context)

    return OrgPolicyServicer
