"""IP-SAF-007: GPU instance types are on the org's approved list."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.values import strings

TYPE_KEYS = frozenset({"instanceType", "machineType"})
TYPES = frozenset(
    {
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
        "aws:autoscaling/group:Group",
        "aws:ec2/capacityReservation:CapacityReservation",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "gcp:vertex/aiEndpointWithModelGardenDeployment:AiEndpointWithModelGardenDeployment",
        "gcp:compute/instanceTemplate:InstanceTemplate",
        "azure-native:machinelearningservices:OnlineDeployment",
    }
)


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    text = resource.properties_text
    if "instanceType" not in text and "machineType" not in text:
        return
    found = {text for key, text in strings(resource.properties) if key in TYPE_KEYS}
    for instance_type in sorted(found):
        if ctx.policy.is_gpu(instance_type) and not ctx.policy.is_approved_gpu(instance_type):
            yield f"GPU instance type {instance_type!r} is not approved"


RULE = ResourceRule(
    id="IP-SAF-007",
    name="gpu-instance-type-approved",
    description="GPU instance and machine types are on the org's approved list.",
    severity=Severity.MEDIUM,
    family="safety",
    enforcement=Enforcement.ADVISORY,
    remediation=(
        "Pick an approved type (org policy `approved_gpu_instance_types`) or request its "
        "approval; a waiver covers a trial."
    ),
    check=check,
    types=TYPES,
)
