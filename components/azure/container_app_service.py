"""Serverless on Azure: one container on Azure Container Apps, optionally on a serverless GPU.

Carries a model server (an engine speaking the OpenAI API) or any other container, the
router included: image, arguments, environment and port are plain Args. Creates a
workload-profiles managed environment (with a serverless GPU profile when asked) unless
given one; apps that must talk to each other over internal ingress share an environment,
so the router is deployed into its targets' environment (``environment``).

Ingress is internal by default (reachable only inside the environment), replicas scale
on concurrent HTTP requests and down to zero, and the app runs with a system-assigned
identity.

A new environment is VNet-integrated when given ``infrastructure_subnet_id`` (a subnet
delegated to ``Microsoft.App/environments``, components.azure.network): its apps then
resolve and reach the private endpoints in that VNet. ``internal_environment`` keeps the
environment off the internet (external ingress then means "the VNet").

Wiring (docs/wiring.md): with internal ingress, the app is reached only from inside its
environment (``reach`` path ``vpc``, network = the environment's ID) and needs no caller
auth (``none``): the environment is the boundary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from components.azure.group import resource_group_name
from components.azure.roles import assign_grant, azure_grant
from components.base import EndpointInfo, TargetComponent
from components.wiring import Reach
from inferplane.catalog.azure import (
    CONTAINER_APP_GPU_PROFILES,
    container_app_gpu_refusal,
    container_app_size_refusal,
)

__all__ = ["ContainerAppService", "ContainerAppServiceArgs", "KeyVaultSecret"]

CONSUMPTION = "Consumption"
GPU_PROFILE_NAME = "gpu"
MAX_REPLICAS = 1000
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VAULT_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}"
    r"/providers/Microsoft\.KeyVault/vaults/(?P<vault>[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9])$"
)
_VAULT_SECRET = re.compile(r"^[0-9A-Za-z-]{1,127}$")
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
"""Built-in role: read secret contents (granted on the one secret, not the vault)."""
_app = azure.app


@dataclass(frozen=True)
class KeyVaultSecret:
    """A Key Vault secret an app reads into an environment variable at start."""

    vault_id: str
    """ARM ID of the vault (``/subscriptions/.../providers/Microsoft.KeyVault/vaults/<n>``)."""
    name: str
    """Secret name in the vault."""

    @property
    def url(self) -> str:
        """The versionless secret URI Container Apps resolves (latest version)."""
        match = _VAULT_ID.match(self.vault_id)
        assert match is not None, "checked by _check"
        return f"https://{match['vault'].lower()}.vault.azure.net/secrets/{self.name}"


@dataclass
class ContainerAppServiceArgs:
    location: str
    """Azure region."""
    app_name: str
    """Container app name: 2-32 lowercase letters, digits and '-'; the host name's start."""
    image: str
    """Container image; pin by digest in production."""
    port: int = 8080
    """Port the container listens on."""
    args: Sequence[str] = ()
    """Container arguments (the engine's flags for a model server)."""
    command: Sequence[str] = ()
    """Entrypoint override; empty keeps the image's."""
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (the router's config JSON may be an Output)."""
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables stored as Container Apps secrets (values are secrets)."""
    key_vault_env: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """Environment variables read from Key Vault (e.g. ``HF_TOKEN``) through a user-assigned
    identity that may read exactly those secrets: the value never enters the stack."""
    health_path: str | None = None
    """HTTP path answering 200 once ready (startup and readiness probes); None: TCP."""
    model: str = ""
    """Model name the server answers to (OpenAI ``model``); empty for non-model apps."""
    openai_base_path: str = "/v1"
    """Path prefix of the OpenAI-compatible API, appended to the app URL."""
    cpu: float = 1
    """vCPUs per replica without a GPU profile (0.25 steps up to 4)."""
    memory_gib: float = 2
    """Memory per replica without a GPU profile (2 GiB per vCPU)."""
    gpu_profile: str | None = None
    """Serverless GPU workload profile type (``Consumption-GPU-NC8as-T4`` ...)."""
    min_replicas: int = 0
    """Replicas kept running; 0 scales to zero."""
    max_replicas: int = 1
    """Upper bound on replicas."""
    concurrency: int = 10
    """Concurrent HTTP requests per replica before another replica is added."""
    external: bool = False
    """Expose ingress outside the environment (internet, or the VNet if internal-only)."""
    infrastructure_subnet_id: pulumi.Input[str] | None = None
    """Subnet (delegated to ``Microsoft.App/environments``) of a new environment, which is
    then VNet-integrated; None: an environment outside any VNet."""
    internal_environment: bool = False
    """A new VNet-integrated environment has no public endpoint (needs the subnet)."""
    environment: azure.app.ManagedEnvironment | None = None
    """Environment to join; None creates one. A joined environment must already have a
    workload profile named ``gpu`` when ``gpu_profile`` is set."""
    resource_group_name: pulumi.Input[str] | None = None
    """Existing resource group; None creates ``<name>-rg``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags (``Labels.tags()``)."""


class ContainerAppService(TargetComponent):
    """A container app (and, unless given, its managed environment)."""

    url: pulumi.Output[str]
    """``https://<app>[.internal].<environment default domain>``."""
    environment_id: pulumi.Output[str]
    """The managed environment, for other apps that must reach this one internally."""
    principal_id: pulumi.Output[str | None]
    """Object ID of the app's system-assigned identity (for role assignments)."""

    def __init__(
        self, name: str, args: ContainerAppServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:azure:ContainerAppService", name, None, opts)
        tags = dict(args.tags)
        group = resource_group_name(self, name, args.location, tags, args.resource_group_name)
        self.environment = args.environment or self._environment(name, args, group, tags)
        vault = self._vault_reader(name, args, group, tags)
        self.app = _app.ContainerApp(
            f"{name}-app",
            container_app_name=args.app_name,
            resource_group_name=group,
            location=args.location,
            managed_environment_id=self.environment.id,
            workload_profile_name=GPU_PROFILE_NAME if args.gpu_profile else CONSUMPTION,
            identity=_app.ManagedServiceIdentityArgs(
                type=_app.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            )
            if vault is None
            else _app.ManagedServiceIdentityArgs(
                type=_app.ManagedServiceIdentityType.SYSTEM_ASSIGNED_USER_ASSIGNED,
                user_assigned_identities=[vault[0].id],
            ),
            configuration=_app.ConfigurationArgs(
                active_revisions_mode=_app.ActiveRevisionsMode.SINGLE,
                ingress=_app.IngressArgs(
                    external=args.external,
                    target_port=args.port,
                    transport=_app.IngressTransportMethod.AUTO,
                    allow_insecure=False,
                ),
                secrets=[
                    # Marked secret so the value never lands in state or logs in plain text.
                    *(
                        _app.SecretArgs(name=_secret_name(key), value=pulumi.Output.secret(value))
                        for key, value in sorted(args.secret_env.items())
                    ),
                    *(
                        _app.SecretArgs(
                            name=_secret_name(key), key_vault_url=ref.url, identity=vault[0].id
                        )
                        for key, ref in sorted(args.key_vault_env.items())
                        if vault is not None
                    ),
                ]
                or None,
            ),
            template=_app.TemplateArgs(
                containers=[_container(args)],
                scale=_app.ScaleArgs(
                    min_replicas=args.min_replicas,
                    max_replicas=args.max_replicas,
                    rules=[
                        _app.ScaleRuleArgs(
                            name="http-concurrency",
                            http=_app.HttpScaleRuleArgs(
                                metadata={"concurrentRequests": str(args.concurrency)}
                            ),
                        )
                    ],
                ),
            ),
            tags=tags,
            # The first revision resolves its Key Vault secrets: the role must exist first.
            opts=self.child(depends_on=list(vault[1]) if vault else None),
        )
        self.environment_id = self.environment.id
        self.principal_id = self.app.identity.apply(lambda i: i.principal_id if i else None)
        host = f"{args.app_name}.internal." if not args.external else f"{args.app_name}."
        self.url = pulumi.Output.concat("https://", host, self.environment.default_domain)
        self.endpoint = pulumi.Output.all(self.url, self.environment_id).apply(
            lambda parts: EndpointInfo(
                backend="openai",
                model=args.model,
                url=f"{parts[0]}{args.openai_base_path}",
                region=args.location,
                **_wiring(args.external, parts[1]),
            )
        )
        self.register_target_outputs(url=self.url, environment_id=self.environment_id)

    def _vault_reader(
        self,
        name: str,
        args: ContainerAppServiceArgs,
        group: pulumi.Input[str],
        tags: dict[str, str],
    ) -> (
        tuple[azure.managedidentity.UserAssignedIdentity, list[azure.authorization.RoleAssignment]]
        | None
    ):
        """A user-assigned identity allowed to read exactly the app's Key Vault secrets.

        User-assigned, not the app's own identity: that one exists only once the app does,
        and the app's first revision already needs the secret."""
        if not args.key_vault_env:
            return None
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-secrets-reader",
            resource_group_name=group,
            location=args.location,
            tags=tags,
            opts=self.child(),
        )
        refs = sorted(set(args.key_vault_env.values()), key=lambda r: (r.vault_id, r.name))
        roles = [
            assign_grant(
                self,
                f"{name}-secret-{ref.name.lower()}",
                azure_grant(KEY_VAULT_SECRETS_USER, f"{ref.vault_id}/secrets/{ref.name}"),
                identity.principal_id,
            )
            for ref in refs
        ]
        return identity, roles

    def _environment(
        self,
        name: str,
        args: ContainerAppServiceArgs,
        group: pulumi.Input[str],
        tags: dict[str, str],
    ) -> azure.app.ManagedEnvironment:
        profiles = [_app.WorkloadProfileArgs(name=CONSUMPTION, workload_profile_type=CONSUMPTION)]
        if args.gpu_profile is not None:
            # A GPU profile can only be added when the environment is created.
            profiles.append(
                _app.WorkloadProfileArgs(
                    name=GPU_PROFILE_NAME, workload_profile_type=args.gpu_profile
                )
            )
        vnet = None
        if args.infrastructure_subnet_id is not None:
            vnet = _app.VnetConfigurationArgs(
                infrastructure_subnet_id=args.infrastructure_subnet_id,
                internal=args.internal_environment,
            )
        return _app.ManagedEnvironment(
            f"{name}-environment",
            resource_group_name=group,
            location=args.location,
            workload_profiles=profiles,
            vnet_configuration=vnet,
            # Logs go to Azure Monitor; diagnostic settings decide where they are kept.
            app_logs_configuration=_app.AppLogsConfigurationArgs(destination="azure-monitor"),
            tags=tags,
            opts=self.child(),
        )


def _wiring(external: bool, environment_id: str) -> EndpointInfo:
    if external:
        # External ingress: the internet (or the VNet of an internal environment). The
        # app has no caller auth of its own: whoever reaches it can call it.
        return EndpointInfo(auth={"scheme": "none"}, reach=Reach(path="public"), grants=[])
    return EndpointInfo(
        auth={"scheme": "none"},
        reach=Reach(path="vpc", network=environment_id),
        grants=[],
    )


def _container(args: ContainerAppServiceArgs) -> azure.app.ContainerArgs:
    if args.gpu_profile is not None:
        profile = CONTAINER_APP_GPU_PROFILES[args.gpu_profile]
        cpu, memory = profile.cpu, profile.memory_gib
    else:
        cpu, memory = args.cpu, args.memory_gib
    env = [_app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(args.env.items())]
    env += [
        _app.EnvironmentVarArgs(name=k, secret_ref=_secret_name(k))
        for k in sorted({*args.secret_env, *args.key_vault_env})
    ]
    return _app.ContainerArgs(
        name="main",
        image=args.image,
        args=list(args.args) or None,
        command=list(args.command) or None,
        env=env or None,
        resources=_app.ContainerResourcesArgs(cpu=cpu, memory=f"{memory:g}Gi"),
        probes=_probes(args),
    )


def _probes(args: ContainerAppServiceArgs) -> list[azure.app.ContainerAppProbeArgs]:
    # Model servers load weights for minutes: the startup probe allows up to 10 minutes.
    def probe(kind: azure.app.Type, failures: int) -> azure.app.ContainerAppProbeArgs:
        if args.health_path is None:
            return _app.ContainerAppProbeArgs(
                type=kind,
                tcp_socket=_app.ContainerAppProbeTcpSocketArgs(port=args.port),
                period_seconds=10,
                failure_threshold=failures,
            )
        return _app.ContainerAppProbeArgs(
            type=kind,
            http_get=_app.ContainerAppProbeHttpGetArgs(port=args.port, path=args.health_path),
            period_seconds=10,
            failure_threshold=failures,
        )

    return [probe(_app.Type.STARTUP, 60), probe(_app.Type.READINESS, 3)]


def _check(args: ContainerAppServiceArgs) -> None:
    if not _APP_NAME.match(args.app_name):
        raise ValueError(
            f"app_name {args.app_name!r} is not allowed; use 2-32 lowercase letters, digits "
            "and '-', starting with a letter"
        )
    if args.gpu_profile is not None:
        refusal = container_app_gpu_refusal(args.gpu_profile, args.location)
    else:
        refusal = container_app_size_refusal(args.cpu, args.memory_gib)
    if refusal:
        raise ValueError(refusal)
    if not 0 <= args.min_replicas <= args.max_replicas <= MAX_REPLICAS or args.max_replicas < 1:
        raise ValueError(
            f"min_replicas {args.min_replicas} / max_replicas {args.max_replicas} are not "
            f"allowed; need 0 <= min_replicas <= max_replicas <= {MAX_REPLICAS}, max >= 1"
        )
    if args.concurrency < 1:
        raise ValueError(f"concurrency {args.concurrency} is not allowed; use >= 1")
    if args.internal_environment and args.infrastructure_subnet_id is None:
        raise ValueError(
            "internal_environment needs infrastructure_subnet_id: only a VNet-integrated "
            "environment can be internal"
        )
    if not 1 <= args.port <= 65535:
        raise ValueError(f"port {args.port} is not allowed; use 1-65535")
    for key in (*args.env, *args.secret_env, *args.key_vault_env):
        if not _ENV_NAME.match(key):
            raise ValueError(
                f"environment variable {key!r} is not allowed; use letters, digits and '_'"
            )
    for key, ref in sorted(args.key_vault_env.items()):
        if not _VAULT_ID.match(ref.vault_id):
            raise ValueError(
                f"key_vault_env[{key!r}].vault_id {ref.vault_id!r} is not allowed; use the "
                "vault's ARM ID (/subscriptions/<id>/resourceGroups/<g>/providers/"
                "Microsoft.KeyVault/vaults/<name>)"
            )
        if not _VAULT_SECRET.match(ref.name):
            raise ValueError(
                f"key_vault_env[{key!r}].name {ref.name!r} is not allowed; use 1-127 letters, "
                "digits and '-'"
            )
    overlap = (
        (set(args.env) & set(args.secret_env))
        | (set(args.env) & set(args.key_vault_env))
        | (set(args.secret_env) & set(args.key_vault_env))
    )
    if overlap:
        raise ValueError(
            f"environment variables {sorted(overlap)} are set twice (plain, secret or Key "
            "Vault); pick one"
        )


def _secret_name(env_key: str) -> str:
    # Container Apps secret names: lowercase letters, digits and '-'.
    return env_key.lower().replace("_", "-")
