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
            "options": {o.architecture: _option_dict(o) for o in self.options},
            "cost_notes": list(self.cost_notes()),
            "frontier_over_small_model_price": self.model_ratio,
            "requirements": self.requirements.model_dump(),
        }

    def cost_notes(self) -> tuple[str, ...]:
        """Where the money and the recommendation disagree, or cannot be compared: why."""
        chosen = next((o for o in self.options if o.architecture == self.decision.cloud), None)
        if chosen is None or chosen.estimate is None:
            return ()
        if chosen.estimate.unknown_items:
            return (
                f"the {chosen.architecture} estimate has {len(chosen.estimate.unknown_items)} "
                f"unknown price(s) in {self.requirements.region}: the patterns cannot be "
                "compared on cost here (inferplane cost --prices FILE adds your own prices)",
            )
        priced = [
            o
            for o in self.options
            if o.estimate is not None and not o.estimate.unknown_items and o is not chosen
        ]
        cheaper = min(
            priced, key=lambda o: o.estimate.known_total if o.estimate else 0.0, default=None
        )
        if cheaper is None or cheaper.estimate is None:
            return ()
        gap = chosen.estimate.known_total - cheaper.estimate.known_total
        if gap <= 0:
            return ()
        why = next((r for r in self.decision.fired if r.architecture == self.decision.cloud), None)
        reason = f"{why.id}: {why.reason}" if why else "no cost rule decides it"
        return (
            f"{cheaper.architecture} costs ${gap:,.0f}/month less at this forecast; "
            f"{chosen.architecture} is still recommended because {reason}",
        )

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
            mark = " (recommended)" if option.architecture == d.cloud else ""
            table.add_row(option.architecture + mark, option.summary, _commitments(option))
        parts: list[Text | Table] = [*lines, table]
        parts += [Text(note) for note in self.cost_notes()]
        if self.model_ratio is not None:
            parts.append(
                Text(
                    f"model by task: the frontier model costs {self.model_ratio:.0f}x the small "
                    "one per request at these token sizes (seed: 10-50x)"
                )
            )
        return Group(*parts)


def _option_dict(option: Option) -> dict[str, Any]:
    if option.estimate is None:
        return {"offered": False, "why_not": option.refused}
    return {
        "offered": True,
        "monthly_known_usd": round(option.estimate.known_total, 2),
        "unknown_items": len(option.estimate.unknown_items),
    }


def _commitments(option: Option) -> str:
    texts = []
    for c in option.estimate.commitments if option.estimate else ():
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
