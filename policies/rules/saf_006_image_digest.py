"""IP-SAF-006: every workload image is pinned by digest, on every platform that runs one."""

from __future__ import annotations

import re
from collections.abc import Iterator

from inferplane.policies.images import images_of
from inferplane.policies.model import Context, Enforcement, Resource, ResourceRule, Severity

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
WORKLOADS = frozenset(
    {
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:batch/v1:Job",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:core/v1:Pod",
        "gcp:cloudrunv2/service:Service",
        "gcp:cloudrunv2/job:Job",
        "azure-native:app:ContainerApp",
        "azure-native:app:Job",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
        "aws:sagemaker/model:Model",
        "aws:ecs/taskDefinition:TaskDefinition",
    }
)
# SageMaker's own prebuilt serving images (Deep Learning Containers) are published by
# AWS under these registry accounts and versioned by AWS; custom images are ours to pin.
AWS_DLC_ACCOUNTS = frozenset(
    {"763104351884", "727897471807", "871362719292", "217643126080", "914824155844",
     "772153158452", "364406365360", "007439368137", "380420809688", "503227376785"}
)  # fmt: skip
SAGEMAKER_MODEL = "aws:sagemaker/model:Model"


def applies(resource: Resource) -> bool:
    return resource.type in WORKLOADS or any(
        t.startswith("inferplane:edge:") for t in resource.component_types
    )


def exempt(resource: Resource, image: str) -> bool:
    registry = image.split("/", 1)[0]
    return resource.type == SAGEMAKER_MODEL and registry.split(".", 1)[0] in AWS_DLC_ACCOUNTS


def check(resource: Resource, _ctx: Context) -> Iterator[str]:
    if not applies(resource):
        return
    for image in sorted(set(images_of(resource))):
        if not DIGEST.search(image) and not exempt(resource, image):
            yield f"image {image!r} is not pinned by digest (@sha256:...)"


RULE = ResourceRule(
    id="IP-SAF-006",
    name="image-pinned-by-digest",
    description=(
        "Every workload image (GPU fleet user data, Cloud Run, Container Apps, SageMaker "
        "custom images, Kubernetes, edge) is referenced by digest, so what was checked is "
        "what runs."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Reference images as `repo@sha256:<digest>` (`skopeo inspect docker://IMAGE:TAG` "
        "prints the digest; edge_images prints the digests it built)."
    ),
    check=check,
)
