"""IP-SAF-006: workload images on Kubernetes and at the edge are pinned by digest."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.values import strings

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
WORKLOADS = frozenset(
    {
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:batch/v1:Job",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:core/v1:Pod",
    }
)
IMAGE_KEYS = frozenset({"image", "images"})


def applies(resource: Resource) -> bool:
    return resource.type in WORKLOADS or any(
        t.startswith("inferplane:edge:") for t in resource.component_types
    )


def check(resource: Resource, _ctx: Context) -> Iterator[str]:
    if not applies(resource):
        return
    for key, text in strings(resource.properties):
        if key in IMAGE_KEYS and not DIGEST.search(text):
            yield f"image {text!r} is not pinned by digest (@sha256:...)"


RULE = ResourceRule(
    id="IP-SAF-006",
    name="image-pinned-by-digest",
    description=(
        "Container images of Kubernetes workloads and edge deployments are referenced by "
        "digest, so what was checked is what runs."
    ),
    severity=Severity.MEDIUM,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Reference images as `repo@sha256:<digest>` (edge_images prints the digests it built)."
    ),
    check=check,
)
