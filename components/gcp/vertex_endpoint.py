"""Managed hosting on GCP: a model on a dedicated Vertex AI endpoint.

Two shapes, because pulumi-gcp 10.2 can deploy a model only one way:

- ``model_garden``: ``vertex.AiEndpointWithModelGardenDeployment`` creates the endpoint and
  deploys a Model Garden or Hugging Face model on dedicated machines (machine type, GPUs,
  replicas, spot) in one resource. That resource takes no labels and no encryption key.
- ``external``: ``vertex.AiEndpoint`` alone, with CMEK, labels and private networking; the
  model is deployed onto it by a release step (``gcloud ai endpoints deploy-model``),
  since no Pulumi resource deploys a model onto an existing endpoint.

Private endpoints use Private Service Connect: reachable only from the allow-listed
projects, and (with ``psc_network``) through a forwarding rule created in that VPC. The
public regional host refuses a PSC endpoint's traffic, so callers use the endpoint's own
name ``<id>.<region>-<project number>.prediction.vertexai.goog``, which a private Cloud DNS
zone in ``psc_network`` resolves to the forwarding rule's address
(https://cloud.google.com/vertex-ai/docs/predictions/private-service-connect).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from inferplane.catalog.gcp import vertex_accelerator, vertex_machine_refusal
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.wiring import Grant, Reach

__all__ = ["VERTEX_CALLER_ROLE", "VertexEndpoint", "VertexEndpointArgs"]

VERTEX_CALLER_ROLE = "roles/aiplatform.user"
"""Holds ``aiplatform.endpoints.predict``; pulumi-gcp has no endpoint-level IAM member, so
the grant is on the project."""
PSC_DOMAIN = "prediction.vertexai.goog"
COMPUTE_API = "https://www.googleapis.com/compute/v1/"

Deploy = Literal["model_garden", "external"]
DEPLOYS: tuple[Deploy, ...] = ("model_garden", "external")
DUTY_CYCLE_METRIC = "aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle"
CPU_METRIC = "aiplatform.googleapis.com/prediction/online/cpu/utilization"
_Vertex = gcp.vertex
# The SDK's generated name is longer than a line.
_GardenPscAutomation = gcp.vertex.AiEndpointWithModelGardenDeploymentEndpointConfigPrivateServiceConnectConfigPscAutomationConfigsArgs  # noqa: E501
_PSC_NETWORK = re.compile(r"^projects/([^/]+)/global/networks/[^/]+$")


@dataclass
class VertexEndpointArgs:
    location: str
    """GCP region of the endpoint."""
    model: str
    """Model Garden name (``publishers/<p>/models/<m>@<version>``) or Hugging Face ID."""
    display_name: str
    """Endpoint and model display name."""
    deploy: Deploy = "model_garden"
    """``model_garden`` (Pulumi deploys the model) or ``external`` (endpoint only)."""
    machine_type: str = "g2-standard-12"
    """Vertex serving machine type of each replica."""
    accelerator_type: str | None = None
    """GPU type; implied by G2/A2/A3 machine types."""
    accelerator_count: int | None = None
    """GPUs per replica; implied by G2/A2/A3 machine types."""
    min_replicas: int = 1
    """Replicas always running (Vertex dedicated endpoints keep at least 1)."""
    max_replicas: int = 1
    """Upper bound for autoscaling."""
    target_utilization: int | None = None
    """Autoscaling target in percent (GPU duty cycle, or CPU without a GPU); None: 60."""
    spot: bool = False
    """Run replicas on Spot VMs (cheaper, may be preempted)."""
    accept_eula: bool = False
    """Accept the model's licence (gated models need it)."""
    hugging_face_token: pulumi.Input[str] | None = None
    """Read token for gated Hugging Face models (a secret)."""
    private: bool = True
    """Private Service Connect endpoint instead of a public one."""
    psc_projects: Sequence[str] = ()
    """Projects allowed to connect to the private endpoint (required when private)."""
    psc_network: str | None = None
    """VPC (``projects/<p>/global/networks/<n>``) where a PSC forwarding rule is created."""
    kms_key: str | None = None
    """CMEK key (``projects/.../cryptoKeys/...``); only with ``deploy='external'``."""
    project: str | None = None
    """Project; None uses the provider's."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels (``Labels.gcp()``); the Model Garden resource cannot carry them."""


class VertexEndpoint(TargetComponent):
    """A Vertex AI endpoint serving one model (or ready for one, with ``external``)."""

    endpoint_id: pulumi.Output[str]
    """Numeric endpoint ID."""
    url: pulumi.Output[str]
    """REST resource URL of the endpoint: on the regional Vertex AI host when public, on
    the endpoint's PSC name (resolved inside ``psc_network``) when private."""
    reach: Reach
    """How it is reached: the public regional API, or PSC inside ``psc_network``."""

    def __init__(
        self, name: str, args: VertexEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:gcp:VertexEndpoint", name, None, opts)
        project, psc_address = self._serving(name, args)
        host = pulumi.Output.from_input(f"{args.location}-aiplatform.googleapis.com")
        if psc_address is not None and args.psc_network is not None:
            host = self._psc_name(name, args, args.psc_network, project, psc_address)
        self.url = pulumi.Output.concat(
            "https://",
            host,
            "/v1/projects/",
            project,
            f"/locations/{args.location}/endpoints/",
            self.endpoint_id,
        )
        self.reach = (
            Reach(path="psc", network=args.psc_network or "")
            if args.private
            else Reach(path="public")
        )
        self.endpoint = pulumi.Output.all(self.url, self.endpoint_id, project).apply(
            lambda parts: _endpoint_info(args, self.reach, parts[0], parts[1], parts[2])
        )
        self.register_target_outputs(endpoint_id=self.endpoint_id, url=self.url)

    def _serving(
        self, name: str, args: VertexEndpointArgs
    ) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        """The endpoint (a Model Garden deployment's, or an empty one): sets
        ``endpoint_id``; returns its project and, with ``psc_network``, the address PSC
        automation gave it there."""
        if args.deploy == "model_garden":
            deployment = self._model_garden(name, args)
            self.endpoint_id = deployment.endpoint
            if args.psc_network is None:
                return deployment.project, None
            return deployment.project, deployment.endpoint_config.apply(_garden_psc_address)
        endpoint = self._endpoint(name, args)
        self.endpoint_id = endpoint.name
        if args.psc_network is None:
            return endpoint.project, None
        return endpoint.project, endpoint.private_service_connect_config.apply(_psc_address)

    def _psc_name(
        self,
        name: str,
        args: VertexEndpointArgs,
        network: str,
        project: pulumi.Output[str],
        address: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        """The endpoint's PSC host name, resolved to ``address`` inside ``network`` by a
        private zone of its own (one per endpoint, so endpoints never share a zone)."""
        number = gcp.organizations.get_project_output(project_id=project).number
        host = pulumi.Output.concat(
            self.endpoint_id, f".{args.location}-", number, f".{PSC_DOMAIN}"
        )
        zone = gcp.dns.ManagedZone(
            f"{name}-psc-zone",
            name=_zone_name(f"{args.display_name}-psc"),
            dns_name=pulumi.Output.concat(host, "."),
            description=f"PSC name of Vertex endpoint {args.display_name}",
            visibility="private",
            private_visibility_config=gcp.dns.ManagedZonePrivateVisibilityConfigArgs(
                networks=[
                    gcp.dns.ManagedZonePrivateVisibilityConfigNetworkArgs(
                        network_url=f"{COMPUTE_API}{network}"
                    )
                ]
            ),
            project=args.project,
            labels=dict(args.labels),
            opts=self.child(),
        )
        gcp.dns.RecordSet(
            f"{name}-psc-record",
            name=zone.dns_name,
            managed_zone=zone.name,
            type="A",
            ttl=300,
            rrdatas=[address],
            project=args.project,
            opts=self.child(),
        )
        return host

    def _model_garden(
        self, name: str, args: VertexEndpointArgs
    ) -> gcp.vertex.AiEndpointWithModelGardenDeployment:
        publisher = args.model.startswith("publishers/")
        return _Vertex.AiEndpointWithModelGardenDeployment(
            f"{name}-deployment",
            location=args.location,
            project=args.project,
            publisher_model_name=args.model if publisher else None,
            hugging_face_model_id=None if publisher else args.model,
            model_config=_Vertex.AiEndpointWithModelGardenDeploymentModelConfigArgs(
                accept_eula=args.accept_eula,
                hugging_face_access_token=args.hugging_face_token,
                model_display_name=args.display_name,
            ),
            endpoint_config=_Vertex.AiEndpointWithModelGardenDeploymentEndpointConfigArgs(
                endpoint_display_name=args.display_name,
                private_service_connect_config=_garden_psc(args),
            ),
            deploy_config=_Vertex.AiEndpointWithModelGardenDeploymentDeployConfigArgs(
                dedicated_resources=_dedicated_resources(args)
            ),
            opts=self.child(),
        )

    def _endpoint(self, name: str, args: VertexEndpointArgs) -> gcp.vertex.AiEndpoint:
        return _Vertex.AiEndpoint(
            f"{name}-endpoint",
            display_name=args.display_name,
            location=args.location,
            region=args.location,
            project=args.project,
            labels=dict(args.labels),
            encryption_spec=None
            if args.kms_key is None
            else _Vertex.AiEndpointEncryptionSpecArgs(kms_key_name=args.kms_key),
            private_service_connect_config=_endpoint_psc(args),
            opts=self.child(),
        )


def _check(args: VertexEndpointArgs) -> None:
    if args.deploy not in DEPLOYS:
        raise ValueError(f"deploy {args.deploy!r} is not allowed; allowed: {', '.join(DEPLOYS)}")
    _check_machine(args)
    _check_scaling(args)
    if args.kms_key is not None and args.deploy == "model_garden":
        raise ValueError(
            f"kms_key {args.kms_key!r} is not allowed with deploy='model_garden': "
            "AiEndpointWithModelGardenDeployment takes no encryption key; use deploy='external'"
        )
    _check_private(args)


def _accelerator(args: VertexEndpointArgs) -> tuple[str, int] | None:
    if args.accelerator_type is None or args.accelerator_count is None:
        return None
    return args.accelerator_type, args.accelerator_count


def _check_machine(args: VertexEndpointArgs) -> None:
    if (args.accelerator_type is None) != (args.accelerator_count is None):
        raise ValueError(
            f"accelerator_type {args.accelerator_type!r} and accelerator_count "
            f"{args.accelerator_count!r}: set both or neither"
        )
    refusal = vertex_machine_refusal(args.machine_type, _accelerator(args))
    if refusal:
        raise ValueError(refusal)


def _check_scaling(args: VertexEndpointArgs) -> None:
    if not 1 <= args.min_replicas <= args.max_replicas:
        raise ValueError(
            f"min_replicas {args.min_replicas} / max_replicas {args.max_replicas} are not "
            "allowed; need 1 <= min_replicas <= max_replicas"
        )
    if args.target_utilization is not None and not 1 <= args.target_utilization <= 100:
        raise ValueError(
            f"target_utilization {args.target_utilization} is not allowed; use 1-100 (percent)"
        )


def _check_private(args: VertexEndpointArgs) -> None:
    if args.private and not args.psc_projects:
        raise ValueError("psc_projects is empty; a private endpoint needs the projects it serves")
    if args.psc_network is None:
        return
    if not args.private:
        raise ValueError(f"psc_network {args.psc_network!r} is only allowed with private=True")
    if not _PSC_NETWORK.match(args.psc_network):
        raise ValueError(
            f"psc_network {args.psc_network!r} is not allowed; use "
            "projects/<project>/global/networks/<network>"
        )


def _endpoint_info(
    args: VertexEndpointArgs, reach: Reach, url: str, endpoint_id: str, project: str
) -> EndpointInfo:
    # Callers need roles/aiplatform.user on the project: Vertex has no endpoint-level IAM.
    grant = Grant(cloud="gcp", actions=[VERTEX_CALLER_ROLE], resources=[f"projects/{project}"])
    return EndpointInfo(
        backend="vertex",
        model=args.model,
        url=url,
        endpoint_name=endpoint_id,
        region=args.location,
        auth={"scheme": "google_access_token"},
        reach=reach,
        grants=[grant],
    )


def _dedicated_resources(
    args: VertexEndpointArgs,
) -> gcp.vertex.AiEndpointWithModelGardenDeploymentDeployConfigDedicatedResourcesArgs:
    accelerator = vertex_accelerator(args.machine_type, _accelerator(args))
    metrics = None
    if args.target_utilization is not None:
        metrics = [
            _Vertex.AiEndpointWithModelGardenDeploymentDeployConfigDedicatedResourcesAutoscalingMetricSpecArgs(
                metric_name=DUTY_CYCLE_METRIC if accelerator else CPU_METRIC,
                target=args.target_utilization,
            )
        ]
    return _Vertex.AiEndpointWithModelGardenDeploymentDeployConfigDedicatedResourcesArgs(
        machine_spec=_Vertex.AiEndpointWithModelGardenDeploymentDeployConfigDedicatedResourcesMachineSpecArgs(
            machine_type=args.machine_type,
            accelerator_type=accelerator[0] if accelerator else None,
            accelerator_count=accelerator[1] if accelerator else None,
        ),
        min_replica_count=args.min_replicas,
        max_replica_count=args.max_replicas,
        spot=args.spot,
        autoscaling_metric_specs=metrics,
    )


def _garden_psc(
    args: VertexEndpointArgs,
) -> (
    gcp.vertex.AiEndpointWithModelGardenDeploymentEndpointConfigPrivateServiceConnectConfigArgs
    | None
):
    if not args.private:
        return None
    automation = None
    if args.psc_network is not None:
        automation = _GardenPscAutomation(
            network=args.psc_network, project_id=_network_project(args.psc_network)
        )
    return _Vertex.AiEndpointWithModelGardenDeploymentEndpointConfigPrivateServiceConnectConfigArgs(
        enable_private_service_connect=True,
        project_allowlists=list(args.psc_projects),
        psc_automation_configs=automation,
    )


def _endpoint_psc(
    args: VertexEndpointArgs,
) -> gcp.vertex.AiEndpointPrivateServiceConnectConfigArgs | None:
    if not args.private:
        return None
    automation = None
    if args.psc_network is not None:
        automation = [
            _Vertex.AiEndpointPrivateServiceConnectConfigPscAutomationConfigArgs(
                network=args.psc_network, project_id=_network_project(args.psc_network)
            )
        ]
    return _Vertex.AiEndpointPrivateServiceConnectConfigArgs(
        enable_private_service_connect=True,
        project_allowlists=list(args.psc_projects),
        psc_automation_configs=automation,
    )


def _field(value: object, name: str) -> object:
    # Nested outputs arrive as the SDK's output classes or as plain dicts (snake_case).
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _psc_address(config: object) -> str:
    """The forwarding rule address PSC automation created in ``psc_network``."""
    automations = _field(config, "psc_automation_configs") or []
    assert isinstance(automations, list)
    return str(_field(automations[0], "ip_address") or "") if automations else ""


def _garden_psc_address(config: object) -> str:
    psc = _field(config, "private_service_connect_config")
    return str(_field(_field(psc, "psc_automation_configs"), "ip_address") or "")


def _zone_name(value: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", value.lower())[:63].strip("-")


def _network_project(network: str) -> str:
    match = _PSC_NETWORK.match(network)
    assert match is not None  # checked in _check
    return match.group(1)
