"""Rich tables for a stack estimate (``inferplane cost`` and ``plan``'s cost section)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from inferplane.cost.model import Commitment, StackEstimate
from inferplane.cost.money import usd, usd_or_unknown

__all__ = ["estimate_view"]


def estimate_view(estimate: StackEstimate) -> Group:
    parts: list[Table | Text] = [_items(estimate)]
    if estimate.commitments:
        parts.append(_commitments(estimate.commitments))
    parts.append(Text("\n".join(f"assumes: {a}" for a in estimate.assumptions), style="dim"))
    return Group(*parts)


def _items(estimate: StackEstimate) -> Table:
    unknown = len(estimate.unknown_items)
    title = (
        f"{estimate.stack}: {usd(estimate.known_total)}/month known"
        + (f" + {unknown} unknown item(s)" if unknown else "")
        + f" (prices as of {estimate.as_of})"
    )
    table = Table(title=title, title_justify="left")
    for column in ("target", "kind", "item", "monthly", "basis"):
        table.add_column(column, justify="right" if column == "monthly" else "left")
    for item in estimate.items:
        shown = usd_or_unknown(item.monthly_usd) if item.billed else "on-prem"
        table.add_row(item.target, item.kind, item.item, shown, item.basis)
    return table


def _commitments(commitments: tuple[Commitment, ...]) -> Table:
    table = Table(title="commitments", title_justify="left")
    for column in ("target", "commitment", "monthly", "on demand", "saving", "break-even"):
        table.add_column(column)
    for c in commitments:
        saving = c.saving_usd
        fraction = c.saving_fraction
        saving_text = "unknown" if saving is None else usd(saving)
        if fraction is not None:
            saving_text += f" ({fraction:.0%})"
        table.add_row(
            c.target,
            c.commitment,
            usd_or_unknown(c.monthly_usd),
            usd_or_unknown(c.on_demand_usd),
            saving_text,
            _break_even(c),
        )
    return table


def _break_even(c: Commitment) -> str:
    if c.break_even is None:
        text = "unknown"
    elif c.break_even_unit == "utilisation":
        text = f">= {c.break_even:.0%} utilisation"
    else:
        text = f">= {c.break_even:.3g} rps"
    if c.forecast is not None:
        text += (
            f" (forecast {c.forecast:.0%})"
            if c.break_even_unit == "utilisation"
            else f" (forecast {c.forecast:.3g})"
        )
    return f"{text}; {c.note}" if c.note else text
