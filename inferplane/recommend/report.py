"""The recommendation as text and JSON: architecture, reasons, priced trade-offs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from inferplane.recommend.decide import Decision
from inferplane.recommend.requirements import Requirements
from inferplane.recommend.tradeoffs import Option, cloud_options, model_price_ratio

__all__ = ["Recommendation", "recommend"]


@dataclass(frozen=True)
class Recommendation:
    requirements: Requirements
    decision: Decision
    options: tuple[Option, ...]
    model_ratio: float | None

    def header(self) -> str:
        """Comment lines for the starter stack file."""
        d = self.decision
        lines = [f"starter stack from `inferplane recommend`: {d.architecture}"]
        lines += [f"- {rule.id}: {rule.reason}" for rule in d.fired]
        lines += [f"! {w}" for w in d.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.decision.architecture,
            "cloud_pattern": self.decision.cloud,
            "rules": [
                {"id": r.id, "kind": r.kind, "reason": r.reason} for r in self.decision.fired
            ],
            "warnings": list(self.decision.warnings),
            "options": {
                o.architecture: {
                    "monthly_known_usd": round(o.estimate.known_total, 2),
                    "unknown_items": len(o.estimate.unknown_items),
                }
                for o in self.options
            },
            "frontier_over_small_model_price": self.model_ratio,
            "requirements": self.requirements.model_dump(),
        }

    def view(self) -> Group:
        d = self.decision
        lines = [Text(f"recommended: {d.architecture}", style="bold")]
        if d.cloud and d.cloud != d.architecture:
            lines.append(Text(f"cloud part: {d.cloud}"))
        lines += [Text(f"  because {rule.id}: {rule.reason}") for rule in d.fired]
        lines += [Text(f"  warning: {w}", style="yellow") for w in d.warnings]
        table = Table(
            title=f"cloud patterns at {self.requirements.rps:g} rps (starter stacks, priced)",
            title_justify="left",
        )
        for column in ("pattern", "monthly", "commitment options"):
            table.add_column(column)
        for option in self.options:
            table.add_row(option.architecture, option.summary, _commitments(option))
        parts: list[Text | Table] = [*lines, table]
        if self.model_ratio is not None:
            parts.append(
                Text(
                    f"model by task: the frontier model costs {self.model_ratio:.0f}x the small "
                    "one per request at these token sizes (seed: 10-50x)"
                )
            )
        return Group(*parts)


def _commitments(option: Option) -> str:
    texts = []
    for c in option.estimate.commitments:
        saving = c.saving_usd
        if saving is not None and c.break_even is not None:
            texts.append(
                f"{c.commitment}: saves ${saving:,.0f}/month, break-even {c.break_even:.0%}"
                if c.break_even_unit == "utilisation"
                else f"{c.commitment}: saves ${saving:,.0f}/month"
            )
    return "; ".join(texts) or "-"


def recommend(requirements: Requirements) -> Recommendation:
    from inferplane.recommend.decide import decide

    return Recommendation(
        requirements,
        decide(requirements),
        cloud_options(requirements),
        model_price_ratio(requirements),
    )
