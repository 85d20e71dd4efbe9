"""GCP target kinds -> components: ``vertex`` -> VertexEndpoint, ``cloud_run`` ->
CloudRunService (running the engine the ``serving`` block renders, or a ready image)."""

from __future__ import annotations

import pulumi

from components.gcp.cloud_run_service import CloudRunService, CloudRunServiceArgs
from components.gcp.vertex_endpoint import VertexEndpoint, VertexEndpointArgs
from inferplane.deployment.container import container
from inferplane.deployment.context import DeployContext
from inferplane.errors import Issue, SpecError
from inferplane.spec.targets import CloudRunTarget, VertexTarget

__all__ = ["cloud_run", "vertex"]

DEFAULT_UTILIZATION = 60


def vertex(name: str, target: VertexTarget, ctx: DeployContext) -> VertexEndpoint:
    private = target.private and not target.public
    project = pulumi.Config("gcp").get("project")
    if private and project is None:
        raise SpecError(
            [Issue("gcp:project", f"target {name!r} is a private Vertex endpoint; set gcp:project")]
        )
    accelerator = target.accelerator
    return VertexEndpoint(
        name,
        VertexEndpointArgs(
            location=target.region,
            model=target.model,
            display_name=ctx.resource_name(name),
            deploy=target.model_deploy,
            machine_type=target.machine_type,
            accelerator_type=accelerator.type if accelerator else None,
            accelerator_count=accelerator.count if accelerator else None,
            min_replicas=target.scaling.min,
            max_replicas=target.scaling.max,
            target_utilization=int(target.scaling.target or DEFAULT_UTILIZATION),
            spot=target.spot,
            accept_eula=target.accept_eula,
            hugging_face_token=pulumi.Config("inferplane").get_secret("huggingFaceToken"),
            private=private,
            psc_projects=(project,) if private and project else (),
            kms_key=target.kms_key,
            project=project,
            labels=ctx.labels(name).gcp(),
        ),
    )


def cloud_run(name: str, target: CloudRunTarget, ctx: DeployContext) -> CloudRunService:
    run = container(target.model, target.serving, target.image)
    return CloudRunService(
        name,
        CloudRunServiceArgs(
            location=target.region,
            service_name=ctx.resource_name(name),
            image=run.image,
            port=run.port,
            args=run.args,
            env=run.env,
            health_path=run.health_path,
            model=target.model,
            openai_base_path=run.openai_base_path,
            cpu=target.cpu,
            memory_gib=target.memory_gib,
            gpu=target.gpu.type if target.gpu else None,
            min_instances=target.scaling.min,
            max_instances=target.scaling.max,
            concurrency=target.concurrency,
            ingress="all" if target.public else target.ingress,
            public=target.public,
            invokers=target.invokers,
            labels=ctx.labels(name).gcp(),
        ),
    )
