"""The date that date-dependent spec checks use: today, unless a command pins another
(``inferplane plan/check --as-of DATE``), so a check is reproducible and a reservation's
end date or a waiver can be judged as of a given day.

It is ambient (a context variable) because the spec is parsed twice on a plan: by the CLI,
and again by the unmodified Pulumi program running under the mock runtime, which takes no
arguments from the CLI. The runner sets it inside the program's context."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

__all__ = ["AS_OF", "evaluation_date", "parse_as_of"]

AS_OF: ContextVar[dt.date | None] = ContextVar("inferplane_as_of", default=None)


def evaluation_date() -> dt.date:
    """The pinned date, else today (local date of the machine running the check)."""
    return AS_OF.get() or dt.date.today()


def parse_as_of(text: str) -> dt.date:
    """An ``--as-of`` value: an ISO date (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None
