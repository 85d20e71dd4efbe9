"""Cross-field checks pydantic cannot express field by field. Each returns Issues whose
path names the offending key, so every problem is reported at once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from inferplane.errors import Issue
from inferplane.residency import Location, placement_refusal
from inferplane.serving import engine
from inferplane.spec.bedrock_facts import bedrock_issues
from inferplane.spec.bedrock_offers import offer_refusal
from inferplane.spec.crosscloud import cross_cloud_issues
from inferplane.spec.fit import fit_issues
from inferplane.spec.regions import geography, is_region
from inferplane.spec.router import PLATFORM_CLOUD
from inferplane.spec.router_secrets import router_secret_issues
from inferplane.spec.semantic_cache import semantic_cache_issues
from inferplane.spec.targets import (
    BedrockTarget,
    EdgeTarget,
    KubernetesTarget,
    LambdaTarget,
    TargetBase,
)
from inferplane.spec.wake import wake_issues

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["allowed_data_classes", "classes_allowed_at", "cross_check", "router_location"]

_PLATFORM_KIND: dict[str, type[TargetBase]] = {"kubernetes": KubernetesTarget, "edge": EdgeTarget}


def allowed_data_classes(spec: StackSpec, target: str) -> tuple[str, ...]:
    """The data classes whose placement allows ``target``'s location."""
    return classes_allowed_at(spec, spec.target(target).location)


def classes_allowed_at(spec: StackSpec, location: Location) -> tuple[str, ...]:
    """The data classes whose placement allows ``location``."""
    zone = spec.residency.as_zone()
    return tuple(
        name
        for name, data_class in spec.data_classes.items()
        if placement_refusal(data_class.placement, location, zone) is None
    )


def router_location(spec: StackSpec, provider_regions: Mapping[str, str]) -> Location:
    """Where the stack's router processes requests: it sees every request it routes, so a
    data class may only pass through it where that class may be processed."""
    router = spec.router
    cloud = PLATFORM_CLOUD.get(router.platform)
    if cloud is not None:
        return Location("cloud", cloud, router.cloud_region(provider_regions))
    return spec.target(str(router.target)).location


def cross_check(
    spec: StackSpec,
    provider_regions: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
) -> list[Issue]:
    """Every cross-field problem of ``spec``; ``provider_regions`` maps cloud to the stack's
    default provider region (``aws:region``, ``gcp:region``, ``azure-native:location``);
    ``as_of`` is the date end dates are judged against (default: today)."""
    return [
        *_route_checks(spec),
        *_site_checks(spec),
        *_data_class_refs(spec),
        *_router_checks(spec, provider_regions or {}),
        *router_secret_issues(spec),
        *_lambda_router_vpc(spec, provider_regions or {}),
        *_kubernetes_checks(spec),
        *_kubernetes_router_identity(spec),
        *_forecast_refs(spec),
        *cross_cloud_issues(spec, provider_regions or {}),
        *_capacity_dates(spec, as_of or dt.date.today()),
        *_bedrock_offers(spec),
        *fit_issues(spec),
        *bedrock_issues(spec),
        *wake_issues(spec),
        *semantic_cache_issues(spec),
    ]


def _capacity_dates(spec: StackSpec, as_of: dt.date) -> Iterator[Issue]:
    for name, target in spec.targets.items():
        end = target.capacity.end_date
        if end is not None and end < as_of:
            yield Issue(
                f"targets.{name}.capacity.end_date",
                f"is already past (as of {as_of.isoformat()}): a reservation cannot end "
                "before it is created; set a future date (YYYY-MM-DD) or remove it",
                end.isoformat(),
            )


def _bedrock_offers(spec: StackSpec) -> Iterator[Issue]:
    """Model/profile combinations Bedrock does not offer, per the dated offline table."""
    for name, target in spec.targets.items():
        if isinstance(target, BedrockTarget):
            if target.capacity.mode == "provisioned":
                continue  # provisioned throughput is bought per model; preflight checks it
            inference, path = target.inference, f"targets.{name}.inference"
        elif isinstance(target, LambdaTarget):
            inference, path = "region", f"targets.{name}.model"
        else:
            continue
        refusal = offer_refusal(target.model, inference, geography("aws", target.region))
        if refusal:
            yield Issue(path, refusal, inference if path.endswith("inference") else target.model)


def _forecast_refs(spec: StackSpec) -> Iterator[Issue]:
    shares = spec.forecast.shares if spec.forecast is not None else {}
    for target in shares:
        if target not in spec.targets:
            yield Issue(
                f"forecast.shares.{target}",
                f"unknown target; defined: {', '.join(spec.targets)}",
                target,
            )


def _route_checks(spec: StackSpec) -> Iterator[Issue]:
    zone = spec.residency.as_zone()
    seen: set[str] = set()
    for i, route in enumerate(spec.routes):
        name = spec.route_name(i)
        if name in seen:
            yield Issue(f"routes[{i}].name", "route names must be unique", name)
        seen.add(name)
        data_class = route.match.data_class
        if data_class is not None and data_class not in spec.data_classes:
            yield Issue(
                f"routes[{i}].match.data_class",
                f"unknown data class; defined: {', '.join(spec.data_classes)}",
                data_class,
            )
            data_class = None
        for j, target in enumerate(route.targets):
            path = f"routes[{i}].targets[{j}]"
            if target not in spec.targets:
                yield Issue(path, f"unknown target; defined: {', '.join(spec.targets)}", target)
                continue
            if data_class is None:
                continue
            placement = spec.data_classes[data_class].placement
            refusal = placement_refusal(placement, spec.target(target).location, zone)
            if refusal:
                yield Issue(
                    path,
                    f"data class {data_class!r} (placement {placement}) may not "
                    f"go to this target: {refusal}",
                    target,
                )


def _site_checks(spec: StackSpec) -> Iterator[Issue]:
    sites = spec.residency.edge_sites
    zone = spec.residency.as_zone()
    for name, target in spec.targets.items():
        site, path = None, f"targets.{name}.site"
        if isinstance(target, EdgeTarget):
            site = target.site
            if target.member is not None:
                # A fleet's site: name the entry the user wrote (inline or inventory).
                path = f"{target.member.path}.name"
        elif isinstance(target, KubernetesTarget) and target.cluster.site:
            site, path = target.cluster.site, f"targets.{name}.cluster.site"
        # residency.py decides (any placement stricter than 'any' keeps edge data on the
        # zone's sites); the message lists what is declared.
        if site is not None and placement_refusal("edge", Location("edge", None, site), zone):
            yield Issue(
                path,
                f"not an edge site of the residency zone; declared: "
                f"{', '.join(sites) or 'none'} (residency.edge_sites)",
                site,
            )


def _data_class_refs(spec: StackSpec) -> Iterator[Issue]:
    classes = spec.data_classes
    if spec.default_data_class is not None and spec.default_data_class not in classes:
        yield Issue(
            "default_data_class",
            f"unknown data class; defined: {', '.join(classes)}",
            spec.default_data_class,
        )
    if spec.router.pii_data_class is not None and spec.router.pii_data_class not in classes:
        yield Issue(
            "router.pii_data_class",
            f"unknown data class; defined: {', '.join(classes)}",
            spec.router.pii_data_class,
        )
    route_names = {spec.route_name(i) for i in range(len(spec.routes))}
    key_ids: dict[str, int] = {}
    for k, key in enumerate(spec.router.keys):
        if key.id in key_ids:
            yield Issue(
                f"router.keys[{k}].id",
                f"already used by router.keys[{key_ids[key.id]}]; key IDs must be unique",
                key.id,
            )
        key_ids.setdefault(key.id, k)
        for c, data_class in enumerate(key.data_classes):
            if data_class not in classes:
                yield Issue(
                    f"router.keys[{k}].data_classes[{c}]",
                    f"unknown data class; defined: {', '.join(classes)}",
                    data_class,
                )
        for r, route in enumerate(key.routes):
            if route not in route_names:
                yield Issue(
                    f"router.keys[{k}].routes[{r}]",
                    f"unknown route; defined: {', '.join(sorted(route_names))}",
                    route,
                )


_PLATFORM_AUTH = frozenset({"lambda", "cloud_run"})
"""Router platforms whose endpoint authenticates callers itself unless ``public`` (a Lambda
function URL with AWS_IAM, Cloud Run with IAM invoker); every other router needs keys."""


def _router_checks(spec: StackSpec, provider_regions: Mapping[str, str]) -> Iterator[Issue]:
    router = spec.router
    cloud = PLATFORM_CLOUD.get(router.platform)
    if cloud is not None:
        region = router.cloud_region(provider_regions)
        if region is None:
            yield Issue(
                "router.region",
                f"platform {router.platform!r} needs a region "
                f"(router.region or the stack's {cloud} provider region)",
            )
        elif router.region is not None and not is_region(cloud, region):  # type: ignore[arg-type]
            # An inherited provider region is reported at its own key (load.py), not here.
            yield Issue("router.region", f"not a known {cloud} region", region)
    if router.platform in ("cloud_run", "container_app", "kubernetes"):
        if router.image is None:
            yield Issue(
                "router.image",
                f"platform {router.platform!r} runs the router's OCI "
                "image: build it (inferplane package router), push it, set its reference",
            )
        elif spec.environment == "prod" and "@sha256:" not in router.image:
            yield Issue(
                "router.image",
                "prod images must be pinned by digest (repo@sha256:...)",
                router.image,
            )
    if not router.keys and (router.public or router.platform not in _PLATFORM_AUTH):
        how = "is public" if router.public else f"on {router.platform!r} has no platform auth"
        yield Issue(
            "router.keys",
            f"the router {how}, so clients must present API keys: add at least one "
            "(inferplane router key NAME prints a new key and its spec entry)",
        )
    kind = _PLATFORM_KIND.get(router.platform)
    if kind is not None:
        if router.target not in spec.targets:
            yield Issue(
                "router.target",
                f"unknown target; defined: {', '.join(spec.targets)}",
                router.target,
            )
        elif not isinstance(spec.targets[router.target], kind):
            yield Issue(
                "router.target",
                f"platform {router.platform!r} runs beside a {router.platform} target",
                router.target,
            )


def _kubernetes_router_identity(spec: StackSpec) -> Iterator[Issue]:
    """A router on Kubernetes that calls AWS services (Bedrock, SageMaker, Lambda) needs an
    AWS identity: EKS Pod Identity on the cluster named by ``cluster.name``. Other clusters
    have no keyless AWS identity wired here, and static keys are never used."""
    from inferplane.spec.targets.aws import AwsTarget

    router = spec.router
    beside = spec.targets.get(str(router.target))
    if router.platform != "kubernetes" or not isinstance(beside, KubernetesTarget):
        return
    aws = sorted(n for n, t in spec.targets.items() if isinstance(t, AwsTarget))
    if aws and (beside.cluster.cloud != "aws" or beside.cluster.name is None):
        yield Issue(
            f"targets.{router.target}.cluster.name",
            f"the router on Kubernetes calls AWS targets ({', '.join(aws)}) and gets its AWS"
            " identity from EKS Pod Identity; allowed: an aws cluster with name set to the"
            " EKS cluster's name",
            beside.cluster.name,
        )


def _lambda_router_vpc(spec: StackSpec, provider_regions: Mapping[str, str]) -> Iterator[Issue]:
    """A GPU fleet's ALB is internal: a Lambda router joins the fleets' VPC, and a Lambda
    sits in one VPC of its own region."""
    from inferplane.spec.targets.aws import GpuFleetTarget

    if spec.router.platform != "lambda":
        return
    region = spec.router.cloud_region(provider_regions)
    fleets = {n: t for n, t in spec.targets.items() if isinstance(t, GpuFleetTarget)}
    for name, fleet in fleets.items():
        if fleet.region != region:
            yield Issue(
                f"targets.{name}.region",
                f"a gpu_fleet is reachable only inside its VPC and the Lambda router runs in"
                f" {region!r}; put the fleet there or set router.region to its region",
                fleet.region,
            )
    vpcs = {fleet.network.vpc_id for fleet in fleets.values()}
    if len(fleets) > 1 and (None in vpcs or len(vpcs) > 1):
        yield Issue(
            "targets",
            f"gpu_fleets {', '.join(sorted(fleets))} would sit in different VPCs and a Lambda"
            " router joins one; give them the same network.vpc_id and subnet_ids",
        )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _kubernetes_checks(spec: StackSpec) -> Iterator[Issue]:
    """One model server per namespace and cluster (each owns its namespace, quota and
    network policy); prod servers run an image pinned by digest, never a moving tag."""
    owners: dict[tuple[str, str], str] = {}
    for name, target in spec.targets.items():
        if not isinstance(target, KubernetesTarget):
            continue
        key = (target.cluster.kubeconfig, target.namespace)
        if key in owners:
            yield Issue(
                f"targets.{name}.namespace",
                f"already used by target {owners[key]!r} on the same cluster; "
                "give each Kubernetes target its own namespace",
                target.namespace,
            )
        owners.setdefault(key, name)
        if spec.environment == "prod" and target.scaling.min < 1:
            # A cold start loads the weights for minutes: prod keeps a warm replica.
            yield Issue(
                f"targets.{name}.scaling.min",
                "scale to zero is allowed only outside prod; allowed: >= 1",
                target.scaling.min,
            )
        if spec.environment == "prod":
            image = target.serving.image or engine(target.serving.engine).default_image
            if not _DIGEST.search(image):
                yield Issue(
                    f"targets.{name}.serving.image",
                    "prod model servers need an image pinned by digest "
                    "(repo[:tag]@sha256:<64 hex>)",
                    image,
                )
