"""Does a principal really hold a grant? Answered from the grant resources in the graph
(IAM role policies and attached policies, Azure role assignments, GCP IAM members), never
from what a component claims it created.

Each ``holds_*`` returns True, False, or None when a value it needs is unknown (preview):
unknowns never produce a violation. Offline, computed values are the plan's stand-ins
(``inferplane.plan.computed``): a role's ARN is ``arn:aws:iam::<account>:role/<name>``,
its ID ``<resource name>-id``; ``identifiers`` knows both spellings.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inferplane.components.wiring import Grant
from inferplane.plan.computed import computed_outputs
from inferplane.policies.model import Resource, Stack
from inferplane.policies.values import UNKNOWN, as_str, is_known

__all__ = ["AZURE_ROLES", "holds", "identifiers"]

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

AZURE_ROLES: dict[str, str] = {
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Cognitive Services OpenAI Contributor": "a001fd3d-188f-4b5d-821b-7da978bf7442",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
}
"""Built-in Azure role definition IDs by name (a RoleAssignment names the ID)."""


def identifiers(resource: Resource) -> set[str]:
    """Every known spelling of the resource's name, ID and ARN (real outputs in
    CrossGuard, the plan's stand-ins offline)."""
    props = resource.properties
    found = {str(props[k]) for k in ("arn", "name", "id") if is_known(props.get(k, UNKNOWN))}
    region = resource.region if resource.region and is_known(resource.region) else "us-east-1"
    computed = computed_outputs(resource.type, resource.name, dict(props), region)
    found |= {str(computed[k]) for k in ("arn", "name") if isinstance(computed.get(k), str)}
    found.add(f"{resource.name}-id")
    return {f for f in found if f}


def holds(stack: Stack, principals: list[str], grant: Grant) -> bool | None:
    """Whether one of ``principals`` holds ``grant`` (see the module docstring)."""
    if _unknown(grant) or any(not is_known(p) for p in principals):
        return None
    cloud = grant["cloud"]
    if cloud == "aws":
        return _aws(stack, principals, grant)
    if cloud == "azure":
        return _azure(stack, principals, grant)
    return _gcp(stack, principals, grant)


def _unknown(value: object) -> bool:
    if isinstance(value, str):
        return not is_known(value)
    if isinstance(value, Mapping):
        return any(_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_unknown(v) for v in value)
    return False


# --- AWS ---------------------------------------------------------------------------------


def _aws(stack: Stack, principals: list[str], grant: Grant) -> bool | None:
    documents = list(_role_documents(stack, principals))
    if any(d is None for d in documents):
        return None
    statements = [s for d in documents if d is not None for s in _statements(d)]
    condition = grant.get("condition") or {}
    for action in grant["actions"]:
        for arn in grant["resources"]:
            if not _allowed(statements, action, arn, condition):
                return False
    return True


def _role_documents(stack: Stack, principals: list[str]) -> Iterator[Any]:
    """Every policy document attached to the roles ``principals`` name; None for one
    that is unknown."""
    refs: set[str] = set()
    for role in stack.of_type(ROLE):
        ids = identifiers(role)
        if ids & set(principals):
            refs |= ids
            inline = role.properties.get("inlinePolicies")
            for item in inline if isinstance(inline, list) else ():
                if isinstance(item, Mapping):
                    yield _document(item.get("policy"))
    for policy in stack.of_type(ROLE_POLICY):
        if _names(policy.properties.get("role"), refs):
            yield _document(policy.properties.get("policy"))
    policies = {i: p for p in stack.of_type(POLICY) for i in identifiers(p)}
    for attachment in stack.of_type(ATTACHMENT):
        if _names(attachment.properties.get("role"), refs):
            arn = attachment.properties.get("policyArn")
            if not is_known(arn):
                yield None
            elif isinstance(arn, str) and arn in policies:
                yield _document(policies[arn].properties.get("policy"))


def _names(value: object, refs: set[str]) -> bool:
    return isinstance(value, str) and (value in refs or value.rsplit("/", 1)[-1] in refs)


def _document(raw: object) -> Any:
    if isinstance(raw, str):
        if not is_known(raw) or UNKNOWN in raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, Mapping) else {}


def _statements(document: Any) -> list[Mapping[str, Any]]:
    found = document.get("Statement", []) if isinstance(document, Mapping) else []
    found = [found] if isinstance(found, Mapping) else found
    return [s for s in found if isinstance(s, Mapping)]


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _covers(statement: Mapping[str, Any], action: str, arn: str) -> bool:
    actions = _listed(statement.get("Action"))
    resources = _listed(statement.get("Resource"))
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
        fnmatch.fnmatchcase(arn, r) for r in resources
    )


def _allowed(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    arn: str,
    condition: Mapping[str, Mapping[str, str]],
) -> bool:
    allowed = False
    for statement in statements:
        if not _covers(statement, action, arn):
            continue
        if statement.get("Effect") == "Deny":
            return False
        # A statement counts only with exactly the condition the grant needs: one with
        # another condition may not apply to the router's calls.
        if _condition(statement.get("Condition")) == _condition(condition):
            allowed = True
    return allowed


def _condition(raw: object) -> dict[tuple[str, str], tuple[str, ...]]:
    result: dict[tuple[str, str], tuple[str, ...]] = {}
    if isinstance(raw, Mapping):
        for operator, pairs in raw.items():
            if isinstance(pairs, Mapping):
                for key, value in pairs.items():
                    result[(str(operator), str(key).lower())] = tuple(sorted(_listed(value)))
    return result


# --- Azure -------------------------------------------------------------------------------


def _azure(stack: Stack, principals: list[str], grant: Grant) -> bool | None:
    role = grant["actions"][0] if grant["actions"] else ""
    role_id = AZURE_ROLES.get(role, role).rsplit("/", 1)[-1].lower()
    scopes = {s.lower().rstrip("/") for s in grant["resources"]}
    unknown = False
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        props = assignment.properties
        values = [props.get(k) for k in ("principalId", "roleDefinitionId", "scope")]
        if any(not is_known(v) for v in values):
            unknown = True
            continue
        principal, definition, scope = (str(v or "") for v in values)
        if (
            principal in principals
            and definition.rsplit("/", 1)[-1].lower() == role_id
            and scope.lower().rstrip("/") in scopes
        ):
            return True
    return None if unknown else False


# --- GCP ---------------------------------------------------------------------------------


def _gcp(stack: Stack, principals: list[str], grant: Grant) -> bool | None:
    members = {p if ":" in p else f"serviceAccount:{p}" for p in principals}
    role = grant["actions"][0] if grant["actions"] else ""
    unknown = False
    for resource in stack.resources:
        if not resource.type.startswith("gcp:") or "role" not in resource.properties:
            continue
        props = resource.properties
        held = _listed(props.get("member")) + _listed(props.get("members"))
        if not is_known(props.get("role")) or any(not is_known(m) for m in held):
            unknown = True
            continue
        if as_str(props.get("role")) != role or not set(held) & members:
            continue
        if all(_gcp_resource(resource, r) for r in grant["resources"]):
            return True
    return None if unknown else False


def _gcp_resource(member: Resource, wanted: str) -> bool:
    """The IAM member resource is on ``wanted`` (a project, service or endpoint name,
    bare or as a ``projects/.../<kind>/<name>`` path)."""
    last = wanted.rstrip("/").rsplit("/", 1)[-1]
    for key in ("name", "service", "endpoint", "project"):
        value = as_str(member.properties.get(key))
        if value and (value in (wanted, last) or wanted.endswith(f"/{value}")):
            return True
    return False
