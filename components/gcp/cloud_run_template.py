"""The Cloud Run v2 revision template of a ``CloudRunServiceArgs``: its one container
(from the ``ContainerSpec``), scaling, GPU placement and VPC egress."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from inferplane.components.container import ContainerSpec
from inferplane.components.gcp.cloud_run_args import CloudRunServiceArgs, SecretEnv, VpcEgress

__all__ = ["revision_template"]


def revision_template(
    args: CloudRunServiceArgs, service_account: pulumi.Input[str]
) -> gcp.cloudrunv2.ServiceTemplateArgs:
    gpu = args.gpu
    return gcp.cloudrunv2.ServiceTemplateArgs(
        containers=[_container(args)],
        service_account=service_account,
        max_instance_request_concurrency=args.concurrency,
        timeout=f"{args.timeout_s}s",
        scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
            min_instance_count=args.min_instances,
            max_instance_count=args.max_instances,
        ),
        node_selector=None
        if gpu is None
        else gcp.cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator=gpu),
        gpu_zonal_redundancy_disabled=None if gpu is None else not args.gpu_zonal_redundancy,
        execution_environment="EXECUTION_ENVIRONMENT_GEN2" if gpu else None,
        vpc_access=_vpc_access(args.vpc_egress),
        labels=dict(args.labels),
    )


def _container(args: CloudRunServiceArgs) -> gcp.cloudrunv2.ServiceTemplateContainerArgs:
    spec = args.container
    return gcp.cloudrunv2.ServiceTemplateContainerArgs(
        image=spec.image,
        args=list(spec.args) or None,
        commands=list(spec.command) or None,
        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=spec.port),
        envs=_envs(args) or None,
        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
            limits=_limits(args),
            # GPUs need CPU always allocated: a throttled CPU starves the GPU between
            # requests and breaks streaming.
            cpu_idle=args.gpu is None,
            startup_cpu_boost=True,
        ),
        startup_probe=_startup_probe(spec),
    )


def _limits(args: CloudRunServiceArgs) -> dict[str, str]:
    resources = args.container.resources
    limits = {"cpu": f"{resources.cpu:g}", "memory": _memory(resources.memory_gib)}
    if args.gpu is not None:
        limits["nvidia.com/gpu"] = "1"
    return limits


def _envs(args: CloudRunServiceArgs) -> list[gcp.cloudrunv2.ServiceTemplateContainerEnvArgs]:
    plain = [
        gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=key, value=value)
        for key, value in sorted(args.container.env.items())
    ]
    return plain + [_secret_env(key, ref) for key, ref in sorted(args.secret_env.items())]


def _secret_env(key: str, ref: SecretEnv) -> gcp.cloudrunv2.ServiceTemplateContainerEnvArgs:
    run = gcp.cloudrunv2
    return run.ServiceTemplateContainerEnvArgs(
        name=key,
        value_source=run.ServiceTemplateContainerEnvValueSourceArgs(
            secret_key_ref=run.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                secret=ref.secret, version=ref.version
            )
        ),
    )


def _startup_probe(
    spec: ContainerSpec,
) -> gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs:
    # Model servers load weights for minutes: allow up to 10 minutes before giving up.
    run = gcp.cloudrunv2
    if spec.health_path is None:
        return run.ServiceTemplateContainerStartupProbeArgs(
            tcp_socket=run.ServiceTemplateContainerStartupProbeTcpSocketArgs(port=spec.port),
            period_seconds=10,
            failure_threshold=60,
        )
    return run.ServiceTemplateContainerStartupProbeArgs(
        http_get=run.ServiceTemplateContainerStartupProbeHttpGetArgs(
            path=spec.health_path, port=spec.port
        ),
        period_seconds=10,
        failure_threshold=60,
    )


def _vpc_access(egress: VpcEgress | None) -> gcp.cloudrunv2.ServiceTemplateVpcAccessArgs | None:
    if egress is None:
        return None
    return gcp.cloudrunv2.ServiceTemplateVpcAccessArgs(
        egress="ALL_TRAFFIC",
        network_interfaces=[
            gcp.cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                network=egress.network, subnetwork=egress.subnetwork
            )
        ],
    )


def _memory(gib: float) -> str:
    return f"{gib:g}Gi" if gib == int(gib) else f"{round(gib * 1024)}Mi"
