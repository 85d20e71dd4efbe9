"""The container app's configuration (ingress, secrets) and revision template (its one
container from the ``ContainerSpec``, probes, HTTP scaling), from its Args."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure

from inferplane.catalog.azure import CONTAINER_APP_GPU_PROFILES
from inferplane.components.azure.container_app_args import ContainerAppServiceArgs
from inferplane.components.container import ContainerSpec

__all__ = ["app_configuration", "app_identity", "app_template"]

_app = azure.app


def app_identity(vault_reader: pulumi.Input[str] | None) -> azure.app.ManagedServiceIdentityArgs:
    """System-assigned, plus the Key Vault reader's user-assigned identity when there is one."""
    if vault_reader is None:
        return _app.ManagedServiceIdentityArgs(type=_app.ManagedServiceIdentityType.SYSTEM_ASSIGNED)
    return _app.ManagedServiceIdentityArgs(
        type=_app.ManagedServiceIdentityType.SYSTEM_ASSIGNED_USER_ASSIGNED,
        user_assigned_identities=[vault_reader],
    )


def app_configuration(
    args: ContainerAppServiceArgs, vault_reader: pulumi.Input[str] | None
) -> azure.app.ConfigurationArgs:
    return _app.ConfigurationArgs(
        active_revisions_mode=_app.ActiveRevisionsMode.SINGLE,
        ingress=_app.IngressArgs(
            external=args.external,
            target_port=args.container.port,
            transport=_app.IngressTransportMethod.AUTO,
            allow_insecure=False,
        ),
        secrets=_secrets(args, vault_reader) or None,
    )


def _secrets(
    args: ContainerAppServiceArgs, vault_reader: pulumi.Input[str] | None
) -> list[azure.app.SecretArgs]:
    # Marked secret so the value never lands in state or logs in plain text.
    found = [
        _app.SecretArgs(name=_secret_name(key), value=pulumi.Output.secret(value))
        for key, value in sorted(args.secret_env.items())
    ]
    if vault_reader is not None:
        found += [
            _app.SecretArgs(name=_secret_name(key), key_vault_url=ref.url, identity=vault_reader)
            for key, ref in sorted(args.key_vault_env.items())
        ]
    return found


def app_template(args: ContainerAppServiceArgs) -> azure.app.TemplateArgs:
    rule = _app.ScaleRuleArgs(
        name="http-concurrency",
        http=_app.HttpScaleRuleArgs(metadata={"concurrentRequests": str(args.concurrency)}),
    )
    return _app.TemplateArgs(
        containers=[_container(args)],
        scale=_app.ScaleArgs(
            min_replicas=args.min_replicas, max_replicas=args.max_replicas, rules=[rule]
        ),
    )


def _container(args: ContainerAppServiceArgs) -> azure.app.ContainerArgs:
    spec = args.container
    if args.gpu_profile is not None:
        profile = CONTAINER_APP_GPU_PROFILES[args.gpu_profile]
        cpu, memory = profile.cpu, profile.memory_gib
    else:
        cpu, memory = spec.resources.cpu, spec.resources.memory_gib
    env = [_app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(spec.env.items())]
    env += [
        _app.EnvironmentVarArgs(name=k, secret_ref=_secret_name(k))
        for k in sorted({*args.secret_env, *args.key_vault_env})
    ]
    return _app.ContainerArgs(
        name="main",
        image=spec.image,
        args=list(spec.args) or None,
        command=list(spec.command) or None,
        env=env or None,
        resources=_app.ContainerResourcesArgs(cpu=cpu, memory=f"{memory:g}Gi"),
        probes=[_probe(spec, _app.Type.STARTUP, 60), _probe(spec, _app.Type.READINESS, 3)],
    )


def _probe(
    spec: ContainerSpec, kind: azure.app.Type, failures: int
) -> azure.app.ContainerAppProbeArgs:
    # Model servers load weights for minutes: the startup probe allows up to 10 minutes.
    if spec.health_path is None:
        return _app.ContainerAppProbeArgs(
            type=kind,
            tcp_socket=_app.ContainerAppProbeTcpSocketArgs(port=spec.port),
            period_seconds=10,
            failure_threshold=failures,
        )
    return _app.ContainerAppProbeArgs(
        type=kind,
        http_get=_app.ContainerAppProbeHttpGetArgs(port=spec.port, path=spec.health_path),
        period_seconds=10,
        failure_threshold=failures,
    )


def _secret_name(env_key: str) -> str:
    # Container Apps secret names: lowercase letters, digits and '-'.
    return env_key.lower().replace("_", "-")
