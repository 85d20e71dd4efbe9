"""IP-SAF-007: GPU instance types are on the org's approved list."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.catalog.instances import instance_facts
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity, Violation
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


def check(resource: Resource, ctx: Context) -> Iterator[Violation]:
    text = resource.properties_text
    if "instanceType" not in text and "machineType" not in text:
        return
    found = {text for key, text in strings(resource.properties) if key in TYPE_KEYS}
    field = "machine_type" if resource.provider_package == "gcp" else "instance_type"
    for instance_type in sorted(found):
        if not ctx.policy.is_gpu(instance_type):
            continue
        facts = instance_facts(instance_type)
        if facts.accelerated is None:
            # Named like an accelerator but unknown to the catalog: never skipped.
            yield Violation(
                f"{facts.describe()}; treated as an accelerator type"
                + ("" if ctx.policy.is_approved_gpu(instance_type) else ", not approved"),
                resource.urn,
                spec_field=field,
                fix="check the type's name; if it is a new family, regenerate the catalog "
                "(tools/gen_ec2_instances.py after a moto bump) and approve it in the org "
                "policy (`approved_gpu_instance_types`)",
            )
        elif not ctx.policy.is_approved_gpu(instance_type):
            yield Violation(
                f"GPU instance type {instance_type!r} ({facts.describe()}) is not approved",
                resource.urn,
                spec_field=field,
            )


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
    spec_field="instance_type",
)
