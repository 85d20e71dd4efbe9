"""The trade-offs of a decision in money: the monthly estimate of each architecture for the
same requirements, from the shipped price table, and the model-by-task price ratio."""

from __future__ import annotations

from dataclasses import dataclass

from inferplane.cost import StackEstimate, default_prices, estimate_stack
from inferplane.cost.tokens import per_request_usd
from inferplane.cost.usage import TargetUsage
from inferplane.errors import SpecError
from inferplane.recommend.decide import Decision
from inferplane.recommend.requirements import Architecture, Requirements
from inferplane.recommend.starter import HAIKU, SONNET, starter_spec
from inferplane.spec import parse_spec

__all__ = ["Option", "cloud_options", "model_price_ratio"]

CLOUD_PATTERNS: tuple[Architecture, ...] = (
    "managed_api",
    "managed_hosting",
    "self_hosted",
    "serverless",
)


@dataclass(frozen=True)
class Option:
    architecture: Architecture
    estimate: StackEstimate | None
    refused: str | None = None
    """Why this pattern is not offered for these requirements (its starter would not
    load, e.g. the model does not fit what the pattern runs on); None when offered."""

    @property
    def summary(self) -> str:
        if self.estimate is None:
            return f"not offered: {self.refused}"
        unknown = len(self.estimate.unknown_items)
        known = f"${self.estimate.known_total:,.0f}/month"
        return known + (f" + {unknown} unknown item(s)" if unknown else "")


def cloud_options(requirements: Requirements) -> tuple[Option, ...]:
    """Each cloud pattern's starter stack, estimated at the same forecast."""
    options = []
    for pattern in CLOUD_PATTERNS:
        decision = Decision(pattern, pattern, ())
        data = starter_spec(requirements, decision)
        regions = {"aws": requirements.region}
        try:
            spec = parse_spec(data, f"{pattern} option", regions)
        except SpecError as exc:
            # An option whose starter would not load is not an option (say why, once).
            options.append(Option(pattern, None, "; ".join(str(i) for i in exc.issues)))
            continue
        options.append(Option(pattern, estimate_stack(spec, pattern, regions)))
    return tuple(options)


def model_price_ratio(requirements: Requirements) -> float | None:
    """Frontier (Sonnet) over small (Haiku) price per average request, where both are known."""
    usage = TargetUsage(
        1.0, None, requirements.avg_input_tokens, requirements.avg_output_tokens, 0.0
    )
    table = default_prices()
    big, _ = per_request_usd(table, "bedrock", SONNET, requirements.region, usage)
    small, _ = per_request_usd(table, "bedrock", HAIKU, requirements.region, usage)
    if big is None or not small:
        return None
    return big / small
