"""IP-SAF-005: autoscaling has an upper bound within the org's cap."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.values import as_number, get, is_known

# Type -> where its maximum lives, and whether leaving it unset means a large default.
MAX_PATHS: dict[str, tuple[tuple[str, ...], bool]] = {
    "aws:autoscaling/group:Group": (("maxSize",), False),
    "aws:appautoscaling/target:Target": (("maxCapacity",), False),
    "gcp:cloudrunv2/service:Service": (
        ("template.scaling.maxInstanceCount", "scaling.maxInstanceCount"),
        True,  # Cloud Run's default maximum is 100 instances
    ),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": (("spec.maxReplicas",), False),
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler": (("spec.maxReplicas",), False),
    "azure-native:app:ContainerApp": (("template.scale.maxReplicas",), False),
}


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    paths, unset_is_unbounded = MAX_PATHS[resource.type]
    cap = ctx.policy.scale_cap(ctx.environment_of(resource))
    values = [get(resource.properties, p) for p in paths]
    if any(not is_known(v) for v in values if v is not None):
        return
    numbers = [n for v in values if (n := as_number(v)) is not None]
    if not numbers:
        if unset_is_unbounded:
            where = " or ".join(paths)
            yield f"no maximum set ({where}); the platform default exceeds the cap of {cap}"
        return
    if max(numbers) > cap:
        yield f"maximum of {max(numbers):g} exceeds the cap of {cap} for this environment"


RULE = ResourceRule(
    id="IP-SAF-005",
    name="max-scale-capped",
    description=(
        "Autoscaling maxima (ASG maxSize, SageMaker scalable target maxCapacity, Cloud Run "
        "maxInstanceCount, HPA maxReplicas) are set and within the org's per-environment cap."
    ),
    severity=Severity.MEDIUM,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Lower `scaling.max` on the target, or raise `max_scale` for the environment in "
        "the org policy."
    ),
    check=check,
    spec_field="scaling.max",
    types=frozenset(MAX_PATHS),
)
