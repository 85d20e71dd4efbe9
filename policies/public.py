"""Every way a resource lets anyone call it without authenticating, in one place.

Rules read this view (IP-SAF-001 for targets and routers, IP-SAF-008 for routers without
API keys) instead of each knowing some of the ways. The ways, per cloud:

- AWS: a Lambda function URL with ``authorizationType`` NONE; a Lambda permission that
  lets principal ``*`` invoke the function (URL).
- GCP: a Cloud Run service with ``invokerIamDisabled``; ``allUsers`` /
  ``allAuthenticatedUsers`` granted on a Cloud Run service through any IAM resource (v1
  and v2: IAM member, binding or a whole policy document), or granted a Cloud Run role on
  the project.
- Azure: a Container App with external ingress and no IP allow-list; public network
  access Enabled on an account / endpoint that still accepts keys (Entra-only accounts
  authenticate every call).

Enum values and member names are compared case-insensitively: the vendors accept either
case for most of them, and a case change must never hide an exposure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from policies.model import Resource
from policies.values import as_bool, as_str, get, is_known, strings

__all__ = [
    "CLOUD_RUN_IAM",
    "CONTAINER_APP",
    "PUBLIC_MEMBERS",
    "Exposure",
    "public_access",
]

FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
CONTAINER_APP = "azure-native:app:ContainerApp"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
_PUBLIC_FOLDED = {m.lower(): m for m in PUBLIC_MEMBERS}
CLOUD_RUN_IAM = frozenset(
    {
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
        "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
        "gcp:cloudrun/iamMember:IamMember",
        "gcp:cloudrun/iamBinding:IamBinding",
        "gcp:cloudrun/iamPolicy:IamPolicy",
    }
)
"""IAM resources scoped to one Cloud Run service: any role granted to the public opens it."""
PROJECT_IAM = frozenset(
    {
        "gcp:projects/iAMMember:IAMMember",
        "gcp:projects/iAMBinding:IAMBinding",
        "gcp:projects/iAMPolicy:IAMPolicy",
    }
)
"""Project-wide IAM: a Cloud Run role granted to the public opens every service."""
INVOKE_ACTIONS = frozenset({"lambda:invokefunctionurl", "lambda:invokefunction", "lambda:*"})

Exposure = str
"""How a resource lets anyone in, as one phrase for a finding."""


def _folded(value: object) -> str | None:
    text = as_str(value)
    return text.strip().lower() if text is not None else None


def public_access(resource: Resource) -> Exposure | None:
    """How ``resource`` lets anyone call it without authenticating, or None."""
    props = resource.properties
    kind = resource.type
    if kind == FUNCTION_URL:
        if _folded(props.get("authorizationType")) == "none":
            return "Lambda function URL with authorizationType NONE"
    elif kind == LAMBDA_PERMISSION:
        return _lambda_permission(props)
    elif kind == CLOUD_RUN:
        if as_bool(props.get("invokerIamDisabled")):
            return "Cloud Run service with invokerIamDisabled"
    elif kind in CLOUD_RUN_IAM:
        members = sorted({m for _role, m in _grants(kind, props)})
        if members:
            return f"Cloud Run access granted to {', '.join(members)} ({kind.split(':')[-1]})"
    elif kind in PROJECT_IAM:
        grants = sorted({f"{role} to {m}" for role, m in _grants(kind, props) if _run_role(role)})
        if grants:
            return f"project IAM grants {', '.join(grants)}: every Cloud Run service is public"
    elif kind == CONTAINER_APP:
        return _container_app(props)
    elif kind.startswith("azure-native:"):
        # Entra-only (keys disabled) is authenticated: every call carries a token of a
        # principal holding a role on the resource (network_access: public_entra_only).
        if as_bool(get(props, "properties.disableLocalAuth")):
            return None
        for path in ("properties.publicNetworkAccess", "publicNetworkAccess"):
            if _folded(get(props, path)) == "enabled":
                return f"Azure {path} Enabled"
    return None


def _lambda_permission(props: Mapping[str, object]) -> Exposure | None:
    principal = as_str(props.get("principal"))
    action = _folded(props.get("action"))
    if principal == "*" and action in INVOKE_ACTIONS:
        if _folded(props.get("functionUrlAuthType")) == "aws_iam":
            return None  # the URL still requires SigV4
        return f"Lambda permission lets principal '*' call {props.get('action')}"
    return None


def _container_app(props: Mapping[str, object]) -> Exposure | None:
    ingress = get(props, "configuration.ingress")
    if not isinstance(ingress, Mapping) or as_bool(ingress.get("external")) is not True:
        return None
    rules = ingress.get("ipSecurityRestrictions")
    if isinstance(rules, list) and any(
        _folded(r.get("action")) == "allow" for r in rules if isinstance(r, Mapping)
    ):
        return None  # reachable only from the allow-listed ranges
    return "Container App with external ingress (no IP allow-list)"


def _grants(kind: str, props: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    """(role, public member) pairs the IAM resource grants, members case-folded back to
    their canonical spelling."""
    if kind.endswith("Policy"):
        yield from _policy_grants(props.get("policyData"))
        return
    role = as_str(props.get("role")) or "?"
    for key, text in strings(props):
        if key in ("member", "members"):
            canonical = _PUBLIC_FOLDED.get(text.strip().lower())
            if canonical is not None:
                yield role, canonical


def _policy_grants(data: object) -> Iterator[tuple[str, str]]:
    if isinstance(data, str) and is_known(data):
        try:
            data = json.loads(data)
        except ValueError:
            return
    bindings = data.get("bindings") if isinstance(data, Mapping) else None
    if not isinstance(bindings, list):
        return
    for binding in bindings:
        if not isinstance(binding, Mapping):
            continue
        role = as_str(binding.get("role")) or "?"
        for _key, text in strings(binding.get("members")):
            canonical = _PUBLIC_FOLDED.get(text.strip().lower())
            if canonical is not None:
                yield role, canonical


def _run_role(role: str) -> bool:
    folded = role.lower()
    return folded.startswith("roles/run.") or folded in ("roles/owner", "roles/editor", "?")
