"""What a container app is given (``ContainerAppServiceArgs``) and the checks that refuse
what Container Apps would refuse, before anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.catalog.azure import container_app_gpu_refusal, container_app_size_refusal
from inferplane.components.container import ContainerSpec

__all__ = ["MAX_REPLICAS", "ContainerAppServiceArgs", "KeyVaultSecret", "check_args"]

MAX_REPLICAS = 1000
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VAULT_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}"
    r"/providers/Microsoft\.KeyVault/vaults/(?P<vault>[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9])$"
)
_VAULT_SECRET = re.compile(r"^[0-9A-Za-z-]{1,127}$")


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
        assert match is not None, "checked by check_args"
        return f"https://{match['vault'].lower()}.vault.azure.net/secrets/{self.name}"


@dataclass
class ContainerAppServiceArgs:
    location: str
    """Azure region."""
    app_name: str
    """Container app name: 2-32 lowercase letters, digits and '-'; the host name's start."""
    container: ContainerSpec
    """What runs: image, command, args, port, env, health path (startup and readiness
    probes; None: TCP) and, without a GPU profile, vCPU (0.25 steps up to 4) and memory
    (2 GiB per vCPU) per replica."""
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables stored as Container Apps secrets (values are secrets)."""
    key_vault_env: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """Environment variables read from Key Vault (e.g. ``HF_TOKEN``) through a user-assigned
    identity that may read exactly those secrets: the value never enters the stack."""
    model: str = ""
    """Model name the server answers to (OpenAI ``model``); empty for non-model apps."""
    gpu_profile: str | None = None
    """Serverless GPU workload profile type (``Consumption-GPU-NC8as-T4`` ...); its size
    replaces ``container.resources``."""
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


def check_args(args: ContainerAppServiceArgs) -> None:
    """Raise ValueError naming the field, the value and what is allowed."""
    if not _APP_NAME.match(args.app_name):
        raise ValueError(
            f"app_name {args.app_name!r} is not allowed; use 2-32 lowercase letters, digits "
            "and '-', starting with a letter"
        )
    _check_size(args)
    _check_scaling(args)
    if args.internal_environment and args.infrastructure_subnet_id is None:
        raise ValueError(
            "internal_environment needs infrastructure_subnet_id: only a VNet-integrated "
            "environment can be internal"
        )
    if not 1 <= args.container.port <= 65535:
        raise ValueError(f"container.port {args.container.port} is not allowed; use 1-65535")
    _check_env_names(args)
    for key, ref in sorted(args.key_vault_env.items()):
        _check_key_vault(key, ref)


def _check_size(args: ContainerAppServiceArgs) -> None:
    resources = args.container.resources
    if args.gpu_profile is not None:
        refusal = container_app_gpu_refusal(args.gpu_profile, args.location)
    else:
        refusal = container_app_size_refusal(resources.cpu, resources.memory_gib)
    if refusal:
        raise ValueError(refusal)


def _check_scaling(args: ContainerAppServiceArgs) -> None:
    if not 0 <= args.min_replicas <= args.max_replicas <= MAX_REPLICAS or args.max_replicas < 1:
        raise ValueError(
            f"min_replicas {args.min_replicas} / max_replicas {args.max_replicas} are not "
            f"allowed; need 0 <= min_replicas <= max_replicas <= {MAX_REPLICAS}, max >= 1"
        )
    if args.concurrency < 1:
        raise ValueError(f"concurrency {args.concurrency} is not allowed; use >= 1")


def _check_env_names(args: ContainerAppServiceArgs) -> None:
    plain, secret, vault = set(args.container.env), set(args.secret_env), set(args.key_vault_env)
    for key in sorted(plain | secret | vault):
        if not _ENV_NAME.match(key):
            raise ValueError(
                f"environment variable {key!r} is not allowed; use letters, digits and '_'"
            )
    overlap = (plain & secret) | (plain & vault) | (secret & vault)
    if overlap:
        raise ValueError(
            f"environment variables {sorted(overlap)} are set twice (plain, secret or Key "
            "Vault); pick one"
        )


def _check_key_vault(key: str, ref: KeyVaultSecret) -> None:
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
