"""IAM members that give a caller (the router's service account) the GCP targets' grants.

A grant names a role and a resource (``components.wiring.Grant``): ``roles/run.invoker``
on a Cloud Run service becomes a service-level member (never project-wide invoker),
``roles/secretmanager.secretAccessor`` on ``projects/<p>/secrets/<s>`` a secret-level
member (a secret the router reads: ``inferplane.deployment.router_secrets``), any other
role on ``projects/<p>`` a project-level member (Vertex: pulumi-gcp has no endpoint-level
IAM resource). Members are additive: other bindings stay untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

import pulumi
import pulumi_gcp as gcp

from inferplane.components.gcp.cloud_run_service import INVOKER_ROLE, SECRET_ACCESSOR_ROLE

__all__ = ["grant_members"]

_SERVICE = re.compile(r"^projects/([^/]+)/locations/([^/]+)/services/([^/]+)$")
_PROJECT = re.compile(r"^projects/([^/]+)$")
_SECRET = re.compile(r"^projects/([^/]+)/secrets/([^/]+)$")


def grant_members(
    owner: pulumi.ComponentResource,
    name: str,
    email: pulumi.Input[str],
    grants: Sequence[tuple[str, pulumi.Input[str]]],
) -> list[pulumi.CustomResource]:
    """One IAM member per distinct (role, resource) in ``grants`` for ``email``."""
    member = pulumi.Output.concat("serviceAccount:", email)
    opts = pulumi.ResourceOptions(parent=owner)
    created: list[pulumi.CustomResource] = []
    project_roles: set[str] = set()
    for i, (role, resource) in enumerate(grants):
        parts = pulumi.Output.from_input(resource)
        if role == INVOKER_ROLE:
            service = parts.apply(partial(_match, _SERVICE, role=role))
            created.append(
                gcp.cloudrunv2.ServiceIamMember(
                    f"{name}-invoke-{i}",
                    project=service.apply(lambda m: m[0]),
                    location=service.apply(lambda m: m[1]),
                    name=service.apply(lambda m: m[2]),
                    role=role,
                    member=member,
                    opts=opts,
                )
            )
            continue
        if role == SECRET_ACCESSOR_ROLE:
            secret = parts.apply(partial(_match, _SECRET, role=role))
            created.append(
                gcp.secretmanager.SecretIamMember(
                    f"{name}-read-secret-{i}",
                    project=secret.apply(lambda m: m[0]),
                    secret_id=secret.apply(lambda m: m[1]),
                    role=role,
                    member=member,
                    opts=opts,
                )
            )
            continue
        if role in project_roles:  # one project-level binding per role
            continue
        project_roles.add(role)
        created.append(
            gcp.projects.IAMMember(
                f"{name}-{_slug(role)}",
                project=parts.apply(partial(_match, _PROJECT, role=role)).apply(lambda m: m[0]),
                role=role,
                member=member,
                opts=opts,
            )
        )
    return created


def _match(pattern: re.Pattern[str], resource: str, role: str) -> tuple[str, ...]:
    found = pattern.match(resource)
    if found is None:
        raise ValueError(f"grant {role!r} on {resource!r}: expected {pattern.pattern}")
    return found.groups()


def _slug(role: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", role.removeprefix("roles/").lower()).strip("-")
