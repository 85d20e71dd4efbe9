"""IP-SAF-009: the stack's spec parses; a spec that does not is never treated as absent."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation


def check(_stack: Stack, ctx: Context) -> Iterator[Violation]:
    if ctx.spec_problem is not None:
        yield Violation(
            f"the stack spec (config `inferplane:spec`) does not parse: {ctx.spec_problem}; "
            "the rules that need it cannot run"
        )


RULE = StackRule(
    id="IP-SAF-009",
    name="stack-spec-parses",
    description=(
        "The stack spec handed to the pack parses and validates: rules that read it "
        "(residency, declared-public, routes) never silently run without it."
    ),
    severity=Severity.CRITICAL,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Fix the spec (run `inferplane check --stack NAME` to see each error with its key path)."
    ),
    check=check,
)
