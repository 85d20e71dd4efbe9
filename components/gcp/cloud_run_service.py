"""Serverless on GCP: one container on Cloud Run v2, optionally with a GPU.

Carries a model server (an engine speaking the OpenAI API) or any other container, the
router included: what runs is a ``ContainerSpec`` (components.container); the Args add
what is Cloud Run's own (GPU type, secrets, scaling, ingress, identity). Private by
default: ingress stays inside the VPC (or behind a Cloud Load Balancer) and only named
service accounts may invoke it; ``public`` is the only way to bind ``allUsers``.
"""

from __future__ import annotations

import hashlib
import re

import pulumi
import pulumi_gcp as gcp

from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.gcp.cloud_run_args import (
    INGRESS,
    CloudRunServiceArgs,
    SecretEnv,
    VpcEgress,
    check_args,
)
from inferplane.components.gcp.cloud_run_template import revision_template
from inferplane.components.wiring import Grant, Reach

__all__ = [
    "INVOKER_ROLE",
    "CloudRunService",
    "CloudRunServiceArgs",
    "SecretEnv",
    "VpcEgress",
    "invoker_grant",
    "service_account_id",
]

INVOKER_ROLE = "roles/run.invoker"
SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"


class CloudRunService(TargetComponent):
    """A Cloud Run v2 service, its runtime service account and its invoker bindings."""

    url: pulumi.Output[str]
    """The service's HTTPS URL (``run.app``)."""
    service_account_email: pulumi.Output[str]
    """The identity the container runs as."""
    service_account_unique_id: pulumi.Output[str] | None
    """Numeric unique ID of the dedicated service account (what other clouds' federation
    trusts: ``accounts.google.com`` ``sub``/``aud``); None with a given ``service_account``."""
    reach: Reach
    """How it is reached (known before deployment: from ingress and ``network``)."""

    def __init__(
        self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_args(args)
        super().__init__("inferplane:gcp:CloudRunService", name, None, opts)
        self._name = name
        self.service_account_unique_id = None
        self.service_account_email = self._identity(name, args)
        self.secret_access = self._secret_access(name, args)
        self.service = self._service(name, args)
        self.invoker_bindings = [
            self.allow_invoker(_member_slug(member), member) for member in args.invokers
        ]
        if args.public:
            self.invoker_bindings.append(self.allow_invoker("public", "allUsers"))
        self.url = self.service.uri
        self.reach = _reach(args)
        self.endpoint = pulumi.Output.all(self.service.uri, self.service.project).apply(
            lambda parts: _endpoint(args, self.reach, parts[0].rstrip("/"), parts[1])
        )
        self.register_target_outputs(url=self.url, service_account=self.service_account_email)

    def allow_invoker(
        self, role_name: str, member: pulumi.Input[str]
    ) -> gcp.cloudrunv2.ServiceIamMember:
        """Grant ``member`` (e.g. the router's service account) the right to invoke."""
        return gcp.cloudrunv2.ServiceIamMember(
            f"{self._name}-invoker-{role_name}",
            name=self.service.name,
            location=self.service.location,
            project=self.service.project,
            role=INVOKER_ROLE,
            member=member,
            opts=self.child(),
        )

    def _service(self, name: str, args: CloudRunServiceArgs) -> gcp.cloudrunv2.Service:
        return gcp.cloudrunv2.Service(
            f"{name}-service",
            name=args.service_name,
            location=args.location,
            project=args.project,
            ingress=INGRESS[args.ingress],
            labels=dict(args.labels),
            template=revision_template(args, self.service_account_email),
            # The first revision reads its secrets at start: the grants must exist first.
            opts=self.child(depends_on=list(self.secret_access)),
        )

    def _identity(self, name: str, args: CloudRunServiceArgs) -> pulumi.Output[str]:
        if args.service_account is not None:
            return pulumi.Output.from_input(args.service_account)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=service_account_id(args.service_name),
            display_name=f"Cloud Run runtime identity of {args.service_name}",
            project=args.project,
            opts=self.child(),
        )
        self.service_account_unique_id = account.unique_id
        return account.email

    def _secret_access(
        self, name: str, args: CloudRunServiceArgs
    ) -> list[gcp.secretmanager.SecretIamMember]:
        """Read access for the runtime identity to each secret it reads, on that secret
        only (``secretAccessor`` on the secret, never on the project)."""
        member = pulumi.Output.concat("serviceAccount:", self.service_account_email)
        return [
            gcp.secretmanager.SecretIamMember(
                f"{name}-secret-{_member_slug(ref.secret.rsplit('/', 1)[-1])}",
                project=args.project,
                secret_id=ref.secret,
                role=SECRET_ACCESSOR_ROLE,
                member=member,
                opts=self.child(),
            )
            for ref in sorted(set(args.secret_env.values()), key=lambda r: r.secret)
        ]


def _endpoint(args: CloudRunServiceArgs, reach: Reach, url: str, project: str) -> EndpointInfo:
    return EndpointInfo(
        backend="openai",
        model=args.model,
        url=f"{url}{args.container.openai_base_path}",
        region=args.location,
        # Cloud Run checks an ID token whose audience is the service URL.
        auth={"scheme": "google_id_token", "audience": url},
        reach=reach,
        grants=[invoker_grant(project, args.location, args.service_name)],
    )


def invoker_grant(project: str, location: str, service: str) -> Grant:
    """What a caller needs to invoke the service: ``roles/run.invoker`` on it."""
    return Grant(
        cloud="gcp",
        actions=[INVOKER_ROLE],
        resources=[f"projects/{project}/locations/{location}/services/{service}"],
    )


def _reach(args: CloudRunServiceArgs) -> Reach:
    # Ingress "all" is the only setting that accepts requests from the internet;
    # the load-balancer variant still refuses direct run.app calls from outside the VPC.
    if args.ingress == "all":
        return Reach(path="public")
    return Reach(path="vpc", network=args.network or "")


def service_account_id(service_name: str) -> str:
    """A service-account ID (6-30 chars) unique per service name."""
    digest = hashlib.blake2b(service_name.encode(), digest_size=2).hexdigest()
    return f"{service_name[:25].rstrip('-')}-{digest}"


def _member_slug(member: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", member.split(":", 1)[-1].split("@", 1)[0].lower()).strip("-")
