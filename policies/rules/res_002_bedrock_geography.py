"""IP-RES-002: Bedrock inference profiles stay inside the data class's geography."""

from __future__ import annotations

import re
from collections.abc import Iterator

from inferplane.residency import Location
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.residency import refusal

PROVIDERS = ("anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "writer",
             "openai", "qwen", "twelvelabs")  # fmt: skip
# A cross-region inference profile ID: <geo>.<provider>.<model>, alone or in an ARN.
PROFILE = re.compile(
    r"(?:^|[/:\"'\s=])(global|us-gov|us|eu|apac|jp|au|ca)\."
    rf"(?:{'|'.join(PROVIDERS)})\.",
    re.IGNORECASE,  # a case change must not hide a profile
)
PROFILE_GEOGRAPHY = {"us": "us", "us-gov": "us", "eu": "eu", "apac": "apac", "jp": "apac",
                     "au": "apac", "ca": "ca"}  # fmt: skip


def profile_location(prefix: str) -> Location:
    if prefix == "global":
        return Location("global", "aws")
    return Location("geo", "aws", PROFILE_GEOGRAPHY[prefix])


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    # Only resources of one target (or Bedrock's own) judge a profile by their class: the
    # router's identity may invoke global profiles for classes that allow them.
    if resource.data_class is None:
        return
    if resource.target is None and not resource.type.startswith("aws:bedrock"):
        return
    # One search over the JSON text: profiles hide in policy documents, env vars, ARNs.
    text = resource.properties_text
    folded = text.lower()
    if not any(f".{provider}." in folded for provider in PROVIDERS):
        return  # the cheap test first: most resources name no model at all
    prefixes = {m.group(1).lower() for m in PROFILE.finditer(text)}
    for prefix in sorted(prefixes):
        reason = refusal(resource, profile_location(prefix), ctx)
        if reason is not None:
            yield f"uses the {prefix}. inference profile: {reason}"


RULE = ResourceRule(
    id="IP-RES-002",
    name="bedrock-inference-profile-geography",
    description=(
        "Bedrock model references use an inference profile whose geography the data "
        "class allows: no `global.` profile for zone or edge classes, and inside a zone "
        "only the zone's geography (such as `eu.`) or the in-region model ID."
    ),
    severity=Severity.CRITICAL,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Set the target's `inference` to `region` or `geo` (the zone's geography), or lower "
        "the data classes routed to it to ones whose placement is `any`."
    ),
    check=check,
    spec_field="inference",
)
