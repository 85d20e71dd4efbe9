"""IP-SAF-011: a Bedrock model within 90 days of its EOL date, or Legacy outside prod, is
reported so the move is planned before calls start failing."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from policies.rules.saf_010_model_lifecycle import findings


def check(_stack: Stack, ctx: Context) -> Iterator[Violation]:
    for refuse, message, key in findings(ctx, ctx.today):
        if not refuse:
            yield Violation(message, spec_key=key)


RULE = StackRule(
    id="IP-SAF-011",
    name="bedrock-model-eol-soon",
    description="Bedrock models within 90 days of EOL (or Legacy outside prod) are reported.",
    severity=Severity.LOW,
    family="safety",
    enforcement=Enforcement.ADVISORY,
    remediation="Plan the move to an Active model before the EOL date.",
    check=check,
)
