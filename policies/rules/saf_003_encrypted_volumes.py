"""IP-SAF-003: GPU fleet volumes are encrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inferplane.policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from inferplane.policies.values import as_bool, get, is_known

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"


def _volumes(resource: Resource) -> list[tuple[str, object]]:
    props = resource.properties
    if resource.type == VOLUME:
        return [("volume", props)]
    if resource.type == INSTANCE:
        found: list[tuple[str, object]] = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        devices = props.get("ebsBlockDevices")
        if isinstance(devices, list):
            found += [(f"ebsBlockDevices[{i}]", d) for i, d in enumerate(devices)]
        return found
    mappings = props.get("blockDeviceMappings")
    if not isinstance(mappings, list):
        return []
    return [
        (str(m.get("deviceName", i)), m.get("ebs") or {})
        for i, m in enumerate(mappings)
        if isinstance(m, Mapping)
    ]


def check(resource: Resource, _ctx: Context) -> Iterator[str]:
    if resource.type == LAUNCH_TEMPLATE and not is_known(
        resource.properties.get("blockDeviceMappings")
    ):
        return
    volumes = _volumes(resource)
    if resource.type == LAUNCH_TEMPLATE and not volumes:
        yield "no blockDeviceMappings: the root volume's encryption follows the AMI"
    for where, volume in volumes:
        encrypted = get(volume, "encrypted")
        if is_known(encrypted) and as_bool(encrypted) is not True:
            yield f"volume {where} is not encrypted"


RULE = ResourceRule(
    id="IP-SAF-003",
    name="encrypted-volumes",
    description=(
        "GPU fleet launch templates, instances and EBS volumes encrypt every volume "
        "(model weights and caches stay encrypted at rest)."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Declare the root device in block_device_mappings with ebs `encrypted: 'true'` "
        "(and a KMS key where required)."
    ),
    check=check,
    types=frozenset({LAUNCH_TEMPLATE, INSTANCE, VOLUME}),
)
