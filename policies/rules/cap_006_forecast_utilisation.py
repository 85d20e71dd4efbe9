"""IP-CAP-006: commitments are justified by the traffic forecast."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.capacity import COMMITMENT_TYPES, Commitment, commitment_of
from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation

MINUTES_PER_MONTH = 30 * 24 * 60


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    if ctx.spec is None:
        return  # CrossGuard without the stack config: the forecast is not known
    commitments = [
        c for r in stack.of_type(*sorted(COMMITMENT_TYPES)) if (c := commitment_of(r)) is not None
    ]
    if not commitments:
        return
    forecast = ctx.spec.forecast
    if forecast is None:
        for c in commitments:
            yield Violation(
                "commitment without a traffic forecast (spec `forecast`)", c.resource.urn
            )
        return
    policy = ctx.policy.commitments
    capacities = [c.tokens_per_minute(policy) for c in commitments]
    if any(cap is None for cap in capacities):
        return  # preview: a size is not known yet
    committed = sum(cap for cap in capacities if cap is not None)
    tokens = forecast.avg_input_tokens + forecast.avg_output_tokens
    demand = forecast.monthly_requests / MINUTES_PER_MONTH * tokens
    utilisation = demand / committed if committed else 0.0
    if utilisation < policy.min_forecast_utilisation:
        yield from _flag(
            commitments, demand, committed, utilisation, policy.min_forecast_utilisation
        )


def _flag(commitments: list[Commitment], demand: float, committed: float,
          utilisation: float, threshold: float) -> Iterator[Violation]:  # fmt: skip
    for c in commitments:
        yield Violation(
            f"forecast demand {demand:,.0f} tokens/min uses {utilisation:.0%} of the "
            f"{committed:,.0f} tokens/min committed in this stack (threshold {threshold:.0%}); "
            "on-demand or serverless is cheaper below that",
            c.resource.urn,
        )


RULE = StackRule(
    id="IP-CAP-006",
    name="commitment-forecast-utilisation",
    description=(
        "The stack's committed capacity is used at least to the org's threshold by the "
        "spec's average forecast traffic (reserved capacity pays only for steady volume)."
    ),
    severity=Severity.LOW,
    family="capacity",
    enforcement=Enforcement.ADVISORY,
    remediation=(
        "Lower the committed units, switch the target to on-demand/serverless, or update "
        "the forecast if traffic really grew."
    ),
    check=check,
)
