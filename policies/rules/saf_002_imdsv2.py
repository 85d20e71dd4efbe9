"""IP-SAF-002: instances require IMDSv2 session tokens."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from inferplane.policies.values import get, is_known

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"


def check(resource: Resource, _ctx: Context) -> Iterator[str]:
    tokens = get(resource.properties, "metadataOptions.httpTokens")
    if not is_known(tokens):
        return
    if tokens != "required":
        yield f"metadataOptions.httpTokens is {tokens or 'unset'!r}, not 'required' (IMDSv2)"


RULE = ResourceRule(
    id="IP-SAF-002",
    name="imdsv2-required",
    description=(
        "GPU fleet launch templates and instances set metadataOptions.httpTokens to "
        "'required', so instance credentials need an IMDSv2 session token."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation="Set `metadata_options={'http_tokens': 'required', ...}` on the launch template.",
    check=check,
    types=frozenset({LAUNCH_TEMPLATE, INSTANCE}),
)
