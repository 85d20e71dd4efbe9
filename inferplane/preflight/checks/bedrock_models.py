"""The Bedrock model (or inference profile) a target invokes is available in its region,
with the inference type the target uses (on demand or provisioned)."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.catalog.bedrock_models import AS_OF, LIFECYCLE
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult
from inferplane.spec.targets import BedrockTarget, LambdaTarget

__all__ = ["NAME", "applies", "run"]

NAME = "bedrock-model"


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, BedrockTarget | LambdaTarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    target = subject.target
    assert isinstance(target, BedrockTarget | LambdaTarget)
    region = target.region
    if isinstance(target, BedrockTarget) and target.inference != "region":
        profiles = ctx.memo(("profiles", region), lambda: ctx.capacity.inference_profiles(region))
        ref = target.model_ref
        if ref in profiles:
            yield CheckResult(NAME, subject.name, "pass", f"inference profile {ref} in {region}")
        else:
            yield CheckResult(
                NAME,
                subject.name,
                "fail",
                f"no inference profile {ref} callable from {region} "
                f"({len(profiles)} system profiles there)",
            )
        return
    models = ctx.memo(("models", region), lambda: ctx.capacity.foundation_models(region))
    model = models.get(target.model)
    if model is None:
        yield CheckResult(NAME, subject.name, "fail", f"{target.model} is not offered in {region}")
        return
    provisioned = isinstance(target, BedrockTarget) and target.capacity.mode == "provisioned"
    needed = "PROVISIONED" if provisioned else "ON_DEMAND"
    if needed not in model.inference_types:
        yield CheckResult(
            NAME,
            subject.name,
            "fail",
            f"{target.model} in {region} supports {', '.join(model.inference_types) or 'nothing'}"
            f", not {needed}"
            + (
                " (use a geo inference profile)"
                if "INFERENCE_PROFILE" in model.inference_types
                else ""
            ),
        )
        return
    if model.lifecycle == "LEGACY":
        # Online is the truth; the offline table (IP-SAF-010) may not know yet.
        known = LIFECYCLE.get(target.model)
        stale = (
            f"; the offline table still says {known.state} ({AS_OF}): update "
            "inferplane/catalog/bedrock_models.py"
            if known is not None and known.state == "active"
            else ""
        )
        prod = ctx.spec.environment == "prod"
        yield CheckResult(
            NAME,
            subject.name,
            "fail" if prod else "pass",
            f"{target.model} is LEGACY in {region} (AWS will end it)"
            + (": pick an Active model before a prod deploy" if prod else "; plan the move")
            + stale,
        )
        return
    yield CheckResult(NAME, subject.name, "pass", f"{target.model} {needed} in {region}")
