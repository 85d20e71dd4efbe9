"""Budgets and spend per API key and per team, by calendar month (UTC).

Spend is the answer's token usage priced with the target's ``input_cost_per_1k`` /
``output_cost_per_1k`` (the price table ``inferplane`` renders into the RouterConfig),
added to the month's counters of the key (``key:<id>``) and of its team (``team:<name>``)
in the shared state after each answer, off the request path. A team's budget is re-read
every ``TEAM_BUDGET_TTL_S`` (5 s) per replica; spend is read fresh for each request of a
key or team that has a budget.

A key over its own budget (``KeyConfig.budget_usd``) or its team's (set through the admin
API) is refused with **429** ``insufficient_quota`` / ``budget_exceeded`` and a
``Retry-After`` of the seconds until the month ends (UTC), when the counters start again
from zero. The check reads the counters before the request; a request already admitted
still finishes, so spend may pass a budget by the requests in flight.

While the shared store is unreachable the check lets requests through and charges are
lost (logged when the first is lost and when they are recorded again): a budget is a
spending control, not an authentication, and an outage must not take every key down.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from time import monotonic

from .accounts import Accounts
from .config import KeyConfig
from .errors import RateLimitError, StateUnavailableError

__all__ = ["BudgetExceededError", "Budgets", "period_of", "seconds_to_reset"]

logger = logging.getLogger("inferplane.router")

TEAM_BUDGET_TTL_S = 5.0
"""How long a replica reuses a team's budget before reading it again: a budget set through
the admin API applies on every replica within this time (spend itself is read fresh)."""


class BudgetExceededError(RateLimitError):
    """The key's or its team's monthly budget is spent (OpenAI's quota error shape)."""

    type = "insufficient_quota"
    code = "budget_exceeded"


_month: list[tuple[float, float, str]] = [(0.0, 0.0, "")]
"""The last period named: its start, its end (unix) and its name. Every answer of a key is
charged to a period; formatting a date per answer cost more than the charge itself."""


def period_of(now: float) -> str:
    """The budget period of unix time ``now``: ``YYYY-MM`` in UTC."""
    start, end, name = _month[0]
    if start <= now < end:
        return name
    today = dt.datetime.fromtimestamp(now, dt.UTC)
    first = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC).timestamp()
    _month[0] = (first, _next_month(today), today.strftime("%Y-%m"))
    return _month[0][2]


def _next_month(today: dt.datetime) -> float:
    """Unix time of the first instant of the month after ``today``'s (UTC)."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()


def seconds_to_reset(now: float) -> int:
    """Whole seconds from ``now`` until the next month starts (UTC), at least 1."""
    reset = _next_month(dt.datetime.fromtimestamp(now, dt.UTC))
    return max(1, int(reset - now + 0.999))


def scopes_of(key: KeyConfig) -> list[str]:
    """The spend counters a key's answers add to."""
    return _scopes(key.id, key.team)


def _scopes(key_id: str, team: str | None) -> list[str]:
    return [f"key:{key_id}", *([f"team:{team}"] if team is not None else [])]


class Budgets:
    """Checks and charges the monthly budgets of keys and teams in ``accounts``."""

    def __init__(self, accounts: Accounts, clock: Callable[[], float]) -> None:
        self._accounts = accounts
        self._clock = clock
        self._pending: set[asyncio.Task[None]] = set()
        self._owed: dict[tuple[str, str | None], float] = {}
        """USD charged but not yet written, per (key id, team)."""
        self._settling: asyncio.Task[None] | None = None
        """The task that will write ``_owed`` (None: none scheduled)."""
        self._team_budgets: dict[str, tuple[float, float | None]] = {}
        self._losing = False
        self.spent: defaultdict[tuple[str, str], float] = defaultdict(float)
        """USD charged by this process per (key, team), for ``inferplane_spend_usd_total``."""

    async def check(self, key: KeyConfig) -> None:
        """Raise BudgetExceededError when the key or its team has spent its budget."""
        try:
            team_budget = await self._team_budget(key.team) if key.team else None
            if key.budget_usd is None and team_budget is None:
                return
            now = self._clock()
            key_spend, *team_spend = await self._accounts.spend(period_of(now), scopes_of(key))
        except StateUnavailableError:
            return
        over = None
        if key.budget_usd is not None and key_spend >= key.budget_usd:
            over = f"API key {key.id!r} has spent its budget of {key.budget_usd} USD"
        elif team_budget is not None and team_spend and team_spend[0] >= team_budget:
            over = f"team {key.team!r} has spent its budget of {team_budget} USD"
        if over is not None:
            wait = seconds_to_reset(now)
            refusal = BudgetExceededError(
                f"{over} for {period_of(now)} (UTC); it resets in {wait} s"
            )
            refusal.retry_after = wait
            raise refusal

    async def _team_budget(self, team: str) -> float | None:
        """The team's budget, read from the store at most every TEAM_BUDGET_TTL_S."""
        now = monotonic()
        cached = self._team_budgets.get(team)
        if cached is not None and cached[0] > now:
            return cached[1]
        budget = await self._accounts.team_budget(team)
        if len(self._team_budgets) >= 10_000:  # bounded: one entry per team seen
            self._team_budgets.clear()
        self._team_budgets[team] = (now + TEAM_BUDGET_TTL_S, budget)
        return budget

    def charge(self, key: KeyConfig, usd: float) -> None:
        """Add ``usd`` to the key's and its team's month, in the background. Charges made
        before the background task runs are summed per key and written together: one task
        and one store write per key and loop turn under load, not one per answer."""
        if usd <= 0:
            return
        self.spent[(key.id, key.team or "")] += usd
        scopes = (key.id, key.team)
        self._owed[scopes] = self._owed.get(scopes, 0.0) + usd
        if self._settling is None:
            task = asyncio.get_running_loop().create_task(self._settle())
            self._settling = task
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _settle(self) -> None:
        owed, self._owed, self._settling = self._owed, {}, None  # later charges: a new task
        period = period_of(self._clock())
        for (key_id, team), usd in owed.items():
            await self._charge(period, _scopes(key_id, team), usd)

    async def _charge(self, period: str, scopes: list[str], usd: float) -> None:
        try:
            await self._accounts.charge(period, scopes, usd)
        except StateUnavailableError as exc:
            if not self._losing:
                logger.warning("spend not recorded until the store answers again (%s)", exc)
            self._losing = True
            return
        if self._losing:
            logger.warning("spend recorded again")
            self._losing = False

    async def spend(self, scope: str) -> tuple[str, float]:
        """This month's period and spend of ``scope`` (``key:<id>`` or ``team:<name>``)."""
        period = period_of(self._clock())
        (value,) = await self._accounts.spend(period, [scope])
        return period, value

    async def drain(self) -> None:
        """Wait for the charges in flight (on shutdown, and in tests)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
