"""Cross-cloud identity for a router on Cloud Run (docs/wiring.md, "Across clouds").

The router's own service account is created first, so that the AWS role and the Azure
user-assigned identity can trust it; the targets' TargetAuth in RouterConfig then gains
``federation: google`` with the role ARN / client and tenant IDs. What each identity is
granted comes from the targets' ``grants`` (``cloud: aws`` / ``cloud: azure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp

from inferplane.components.aws.federation import GoogleFederatedRole, GoogleFederatedRoleArgs
from inferplane.components.azure.azure_ml_endpoint import DATA_SCIENTIST_ROLE, AzureMlEndpoint
from inferplane.components.azure.azure_openai import OPENAI_USER_ROLE, AzureOpenAI
from inferplane.components.azure.federation import (
    GoogleFederatedIdentity,
    GoogleFederatedIdentityArgs,
)
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.gcp.cloud_run_service import service_account_id
from inferplane.components.wiring import Grant, RouterIdentity
from inferplane.deployment.context import DeployContext
from inferplane.spec.crosscloud import federation_of
from inferplane.spec.targets.base import CloudTarget

__all__ = ["RouterFederation", "federate"]

# The auth a target publishes natively, for components that publish none yet (their
# helpers add ``auth``; what they publish wins).
_NATIVE_AUTH: dict[str, dict[str, Any]] = {
    "bedrock": {"scheme": "sigv4", "service": "bedrock"},
    "sagemaker": {"scheme": "sigv4", "service": "sagemaker"},
    "sagemaker_serverless": {"scheme": "sigv4", "service": "sagemaker"},
    "lambda": {"scheme": "sigv4", "service": "lambda"},
    "azure_openai": {
        "scheme": "azure_entra",
        "scope": "https://cognitiveservices.azure.com/.default",
    },
    "azure_ml": {"scheme": "azure_entra", "scope": "https://ml.azure.com/.default"},
}


# AWS actions by ARN service, for AWS components that publish no ``grants`` yet; what a
# component publishes wins (the aws-wiring grants, with lambda:InvokeFunction's condition).
_UNPUBLISHED_AWS_ACTIONS: dict[str, list[str]] = {
    "bedrock": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
    "sagemaker": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
}


@dataclass
class RouterFederation:
    """The router's service account and what it acts as in other clouds."""

    email: pulumi.Output[str]
    unique_id: pulumi.Output[str]
    auth: dict[str, pulumi.Output[dict[str, Any]]] = field(default_factory=dict)
    """Per cross-cloud target: the TargetAuth fields federation adds."""
    identities: list[pulumi.Output[RouterIdentity]] = field(default_factory=list)

    def endpoints(
        self, endpoints: Mapping[str, EndpointInfo], auth: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, EndpointInfo]:
        """``endpoints`` with each cross-cloud target's auth replaced by its federated auth
        (``auth``: the resolved values of ``self.auth``)."""
        out = dict(endpoints)
        for name, federated in auth.items():
            out[name] = EndpointInfo(**{**out[name], "auth": dict(federated)})
        return out


def federate(targets: Mapping[str, TargetComponent], ctx: DeployContext) -> RouterFederation:
    """The router's service account, and an AWS role / Azure identity it is trusted as when
    it calls targets in those clouds."""
    spec = ctx.spec
    name_prefix = ctx.resource_name("router")
    account = gcp.serviceaccount.Account(
        "router-sa",
        account_id=service_account_id(name_prefix),
        display_name=f"inferplane router {name_prefix}",
        project=pulumi.Config("gcp").get("project"),
    )
    found = RouterFederation(email=account.email, unique_id=account.unique_id)
    by_cloud: dict[str, list[str]] = {"aws": [], "azure": []}
    for name in spec.targets:
        way = federation_of(spec, name)
        if way is not None:
            by_cloud[way].append(name)
    tags = ctx.router_labels().tags()
    if by_cloud["aws"]:
        grants = pulumi.Output.all(*[_aws_grants(targets[n]) for n in by_cloud["aws"]]).apply(
            lambda lists: [g for grants in lists for g in grants]
        )
        role = GoogleFederatedRole(
            "router-aws-federation",
            GoogleFederatedRoleArgs(
                role_name=f"{name_prefix}-gcp"[:64],
                google_unique_id=account.unique_id,
                grants=grants,
                tags=tags,
            ),
        )
        for name in by_cloud["aws"]:
            found.auth[name] = _auth(
                targets[name], spec.targets[name].kind, {"role_arn": role.role_arn}
            )
        found.identities.append(
            role.role_arn.apply(lambda a: RouterIdentity(cloud="aws", principal=a))
        )
    if by_cloud["azure"]:
        first = spec.target(by_cloud["azure"][0])
        assert isinstance(first, CloudTarget)  # azure_openai / azure_ml
        location = ctx.provider_regions.get("azure") or first.region
        identity = GoogleFederatedIdentity(
            "router-azure-federation",
            GoogleFederatedIdentityArgs(
                location=location,
                identity_name=f"{name_prefix}-gcp",
                google_unique_id=account.unique_id,
                grants=[_azure_grant(targets[n]) for n in by_cloud["azure"]],
                tags=tags,
            ),
        )
        for name in by_cloud["azure"]:
            found.auth[name] = _auth(
                targets[name],
                spec.targets[name].kind,
                {"client_id": identity.client_id, "tenant_id": identity.tenant_id},
            )
        found.identities.append(
            identity.principal_id.apply(lambda p: RouterIdentity(cloud="azure", principal=p))
        )
    return found


def _auth(
    target: TargetComponent, kind: str, ids: Mapping[str, pulumi.Output[str]]
) -> pulumi.Output[dict[str, Any]]:
    keys = list(ids)
    return pulumi.Output.all(target.endpoint, *ids.values()).apply(
        lambda parts: {
            **(parts[0].get("auth") or _NATIVE_AUTH[kind]),
            "federation": "google",
            **dict(zip(keys, parts[1:], strict=True)),
        }
    )


def _aws_grants(target: TargetComponent) -> pulumi.Output[list[Grant]]:
    """The target's AWS grants; from its invoke ARNs while it publishes none."""
    return pulumi.Output.all(target.endpoint, target.invoke_arns).apply(
        lambda parts: (
            [g for g in parts[0].get("grants", []) if g["cloud"] == "aws"]
            or [
                Grant(
                    cloud="aws",
                    actions=_UNPUBLISHED_AWS_ACTIONS[arn.split(":")[2]],
                    resources=[arn],
                )
                for arn in parts[1]
            ]
        )
    )


def _azure_grant(target: TargetComponent) -> pulumi.Output[Grant]:
    """The target's one Azure grant; from its role and scope while it publishes none."""
    if isinstance(target, AzureOpenAI):
        role, scope = OPENAI_USER_ROLE, target.account_id
    else:
        assert isinstance(target, AzureMlEndpoint)
        role, scope = DATA_SCIENTIST_ROLE, target.endpoint_id
    return pulumi.Output.all(target.endpoint, scope).apply(
        lambda parts: next(
            (g for g in parts[0].get("grants", []) if g["cloud"] == "azure"),
            Grant(cloud="azure", actions=[role], resources=[parts[1]]),
        )
    )
