"""IP-SAF-010: Bedrock models are current: Legacy or past-EOL models are refused in prod;
a model within 90 days of its EOL date (or Legacy outside prod) is reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from inferplane.catalog.bedrock_models import lifecycle_finding
from policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation


def findings(ctx: Context, today: dt.date) -> Iterator[tuple[bool, str, str]]:
    """(refuse, message, spec key) for every Bedrock-calling target of the spec."""
    spec = ctx.spec
    if spec is None:
        return
    prod = spec.environment == "prod"
    for name, target in spec.targets.items():
        if getattr(target, "kind", None) not in ("bedrock", "lambda"):
            continue
        finding = lifecycle_finding(target.model, today, prod)
        if finding is not None:
            key = f"targets.{name}.model"
            yield finding.refuse, f"{key}: {finding.message}", key


def check(_stack: Stack, ctx: Context) -> Iterator[Violation]:
    for refuse, message, key in findings(ctx, ctx.today):
        if refuse:
            yield Violation(message, spec_key=key)


RULE = StackRule(
    id="IP-SAF-010",
    name="bedrock-model-lifecycle",
    description=(
        "Prod Bedrock targets (and Lambdas calling Bedrock) use Active models: Legacy or "
        "past-EOL models (offline table, inferplane.catalog.bedrock_models) are refused."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation="Move the target to an Active model (Bedrock console / ListFoundationModels).",
    check=check,
)
