"""IP-RES-005: model artifacts, invocation logs and data capture stay in the endpoint's
zone."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import (
    Context,
    Enforcement,
    Resource,
    Severity,
    Stack,
    StackRule,
    Violation,
)
from inferplane.policies.residency import class_rule
from inferplane.policies.values import as_str, strings
from inferplane.residency import placement_refusal

BUCKET = "aws:s3/bucket:Bucket"
# Resources that write to or read from buckets on an endpoint's behalf.
BUCKET_USERS = (
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration",
    "aws:bedrock/customModel:CustomModel",
)


def bucket_names(resource: Resource) -> set[str]:
    """Buckets named by ``s3://`` URIs, S3 ARNs or ``bucketName`` keys."""
    names: set[str] = set()
    for key, text in strings(resource.properties):
        if text.startswith("s3://"):
            names.add(text[5:].split("/", 1)[0])
        elif text.startswith("arn:aws:s3:::"):
            names.add(text[13:].split("/", 1)[0])
        elif key in ("bucketName", "bucket"):
            names.add(text)
    return names


def buckets_by_name(stack: Stack) -> dict[str, Resource]:
    found: dict[str, Resource] = {}
    for bucket in stack.of_type(BUCKET):
        found[as_str(bucket.properties.get("bucket")) or bucket.name] = bucket
    return found


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    buckets = buckets_by_name(stack)
    for user in stack.of_type(*BUCKET_USERS):
        rule = class_rule(user.data_class or "", user.residency_zone, ctx)
        if isinstance(rule, str):  # no class/zone: IP-RES-001 reports it
            continue
        for name in sorted(bucket_names(user)):
            bucket = buckets.get(name)
            if bucket is None or bucket.location is None:
                continue  # created elsewhere or region unknown: nothing to compare
            reason = placement_refusal("zone", bucket.location, rule.zone)
            if reason is not None:
                yield Violation(
                    f"bucket {name!r} used by {user.type.rsplit(':', 1)[-1]} {user.name!r} "
                    f"is at {bucket.location}: {reason}",
                    bucket.urn,
                )


RULE = StackRule(
    id="IP-RES-005",
    name="endpoint-buckets-in-zone",
    description=(
        "Buckets holding an endpoint's model artifacts, invocation logs or captured "
        "requests are in the same residency zone as the endpoint."
    ),
    severity=Severity.HIGH,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Create the artifact/log/capture bucket in the endpoint's region (set `region=` on "
        "the aws.s3.Bucket) or copy artifacts into an in-zone bucket."
    ),
    check=check,
)
