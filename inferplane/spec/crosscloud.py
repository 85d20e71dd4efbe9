"""Router in one cloud, target in another: which pairs inferplane can wire, and how.

Identity crosses clouds only by federation from the router's own identity (docs/wiring.md,
"Across clouds"): today from a router on Cloud Run (Google service account) to AWS API
targets (IAM role with web identity) and to Azure OpenAI / Azure ML (user-assigned identity
with a federated credential). The network path must be stated, never assumed: an Azure
target with public network access off is reachable from another cloud only when the spec
says ``network_access: public_entra_only`` (public endpoint, Entra tokens only, keys off).
Every other cross-cloud pair is refused here, with the two ways out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from inferplane.errors import Issue
from inferplane.spec.router import PLATFORM_CLOUD
from inferplane.spec.targets import AzureMlTarget, AzureOpenAITarget

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["FEDERATED_KINDS", "cross_cloud_issues", "federation_of"]

FederatedCloud = Literal["aws", "azure"]
FEDERATED_KINDS: dict[tuple[str, str], FederatedCloud] = {
    ("gcp", "bedrock"): "aws",
    ("gcp", "sagemaker"): "aws",
    ("gcp", "sagemaker_serverless"): "aws",
    ("gcp", "lambda"): "aws",
    ("gcp", "azure_openai"): "azure",
    ("gcp", "azure_ml"): "azure",
}
"""(router cloud, target kind) -> the cloud whose identity the router federates into."""
_CLOUDS = ("aws", "gcp", "azure")


def _router_cloud(spec: StackSpec) -> str | None:
    return PLATFORM_CLOUD.get(spec.router.platform)


def federation_of(spec: StackSpec, target: str) -> FederatedCloud | None:
    """The cloud the router federates into to call ``target``; None when it calls it with
    its own identity (same cloud, edge, Kubernetes)."""
    router_cloud = _router_cloud(spec)
    found = spec.targets[target]
    if router_cloud is None or found.cloud not in _CLOUDS or found.cloud == router_cloud:
        return None
    return FEDERATED_KINDS.get((router_cloud, found.kind))


def cross_cloud_issues(spec: StackSpec, _provider_regions: Mapping[str, str]) -> Iterator[Issue]:
    """Each routed target the router cannot reach or authenticate to across clouds."""
    router_cloud = _router_cloud(spec)
    if router_cloud is None:
        return
    routed = {t for route in spec.routes for t in route.targets}
    platform = spec.router.platform
    for name in sorted(routed & set(spec.targets)):
        target = spec.targets[name]
        if (
            target.cloud not in _CLOUDS
            or target.cloud == router_cloud
            or target.kind == "kubernetes"
        ):
            continue
        if (router_cloud, target.kind) not in FEDERATED_KINDS or (
            isinstance(target, AzureMlTarget) and target.auth != "aad_token"
        ):
            yield Issue(
                f"targets.{name}",
                f"router platform {platform!r} ({router_cloud}) cannot call {target.kind} "
                f"target {name!r} in {target.cloud}: no federated identity or network path "
                f"exists for this pair. Move the router to a {target.cloud} platform, or put "
                "this target in a stack whose router runs there (federation is built from a "
                "Cloud Run router to AWS and Azure targets only)",
                target.kind,
            )
            continue
        if isinstance(target, AzureOpenAITarget | AzureMlTarget) and not (
            target.public or target.network_access == "public_entra_only"
        ):
            yield Issue(
                f"targets.{name}.network_access",
                f"public network access is off and router platform {platform!r} runs in "
                f"{router_cloud}, outside Azure: no path to {name!r}. Set network_access: "
                "public_entra_only (public endpoint, Entra tokens only, keys stay disabled) "
                "or move the router into Azure",
                target.network_access,
            )
