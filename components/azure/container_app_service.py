"""Serverless on Azure: one container on Azure Container Apps, optionally on a serverless GPU.

Carries a model server (an engine speaking the OpenAI API) or any other container, the
router included: what runs is a ``ContainerSpec`` (components.container); the Args add
what is Container Apps' own (GPU profile, secrets, scaling, ingress). Creates a
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

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.container_app_args import (
    ContainerAppServiceArgs,
    KeyVaultSecret,
    check_args,
)
from inferplane.components.azure.container_app_template import (
    app_configuration,
    app_identity,
    app_template,
)
from inferplane.components.azure.group import Placement, place
from inferplane.components.azure.roles import assign_grant, azure_grant
from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.wiring import Reach

__all__ = [
    "KEY_VAULT_SECRETS_USER",
    "ContainerAppService",
    "ContainerAppServiceArgs",
    "KeyVaultSecret",
]

CONSUMPTION = "Consumption"
GPU_PROFILE_NAME = "gpu"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
"""Built-in role: read secret contents (granted on the one secret, not the vault)."""
_app = azure.app
VaultReader = tuple[
    azure.managedidentity.UserAssignedIdentity, list[azure.authorization.RoleAssignment]
]


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
        check_args(args)
        super().__init__("inferplane:azure:ContainerAppService", name, None, opts)
        at = place(self, name, args.location, args.tags, args.resource_group_name)
        self.environment = args.environment or self._environment(at, args)
        self.app = self._app(at, args, self._vault_reader(at, args))
        self.environment_id = self.environment.id
        self.principal_id = self.app.identity.apply(lambda i: i.principal_id if i else None)
        host = f"{args.app_name}.internal." if not args.external else f"{args.app_name}."
        self.url = pulumi.Output.concat("https://", host, self.environment.default_domain)
        self.endpoint = pulumi.Output.all(self.url, self.environment_id).apply(
            lambda parts: EndpointInfo(
                backend="openai",
                model=args.model,
                url=f"{parts[0]}{args.container.openai_base_path}",
                region=args.location,
                **_wiring(args.external, parts[1]),
            )
        )
        self.register_target_outputs(url=self.url, environment_id=self.environment_id)

    def _app(
        self, at: Placement, args: ContainerAppServiceArgs, vault: VaultReader | None
    ) -> azure.app.ContainerApp:
        reader = vault[0].id if vault is not None else None
        return _app.ContainerApp(
            at.called("app"),
            container_app_name=args.app_name,
            resource_group_name=at.group,
            location=at.location,
            managed_environment_id=self.environment.id,
            workload_profile_name=GPU_PROFILE_NAME if args.gpu_profile else CONSUMPTION,
            identity=app_identity(reader),
            configuration=app_configuration(args, reader),
            template=app_template(args),
            tags=at.tags,
            # The first revision resolves its Key Vault secrets: the role must exist first.
            opts=at.child(depends_on=list(vault[1]) if vault else None),
        )

    def _vault_reader(self, at: Placement, args: ContainerAppServiceArgs) -> VaultReader | None:
        """A user-assigned identity allowed to read exactly the app's Key Vault secrets.

        User-assigned, not the app's own identity: that one exists only once the app does,
        and the app's first revision already needs the secret."""
        if not args.key_vault_env:
            return None
        identity = azure.managedidentity.UserAssignedIdentity(
            at.called("secrets-reader"),
            resource_group_name=at.group,
            location=at.location,
            tags=at.tags,
            opts=at.child(),
        )
        refs = sorted(set(args.key_vault_env.values()), key=lambda r: (r.vault_id, r.name))
        roles = [
            assign_grant(
                self,
                at.called(f"secret-{ref.name.lower()}"),
                azure_grant(KEY_VAULT_SECRETS_USER, f"{ref.vault_id}/secrets/{ref.name}"),
                identity.principal_id,
            )
            for ref in refs
        ]
        return identity, roles

    def _environment(
        self, at: Placement, args: ContainerAppServiceArgs
    ) -> azure.app.ManagedEnvironment:
        return _app.ManagedEnvironment(
            at.called("environment"),
            resource_group_name=at.group,
            location=at.location,
            workload_profiles=_profiles(args.gpu_profile),
            vnet_configuration=_vnet(args),
            # Logs go to Azure Monitor; diagnostic settings decide where they are kept.
            app_logs_configuration=_app.AppLogsConfigurationArgs(destination="azure-monitor"),
            tags=at.tags,
            opts=at.child(),
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


def _profiles(gpu_profile: str | None) -> list[azure.app.WorkloadProfileArgs]:
    profiles = [_app.WorkloadProfileArgs(name=CONSUMPTION, workload_profile_type=CONSUMPTION)]
    if gpu_profile is not None:
        # A GPU profile can only be added when the environment is created.
        profiles.append(
            _app.WorkloadProfileArgs(name=GPU_PROFILE_NAME, workload_profile_type=gpu_profile)
        )
    return profiles


def _vnet(args: ContainerAppServiceArgs) -> azure.app.VnetConfigurationArgs | None:
    if args.infrastructure_subnet_id is None:
        return None
    return _app.VnetConfigurationArgs(
        infrastructure_subnet_id=args.infrastructure_subnet_id,
        internal=args.internal_environment,
    )
