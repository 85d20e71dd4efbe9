"""Spend charges (router.budgets): summed per key while they wait for the background
write, so a loaded router makes one task and one store write per key and loop turn, not
one per answer; the month a charge belongs to is named right across month boundaries."""

from __future__ import annotations

import asyncio
import datetime as dt

from inferplane.router.accounts import MemoryAccounts
from inferplane.router.budgets import Budgets, period_of, seconds_to_reset
from inferplane.router.config import KeyConfig

JUNE = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC).timestamp()


class RecordingAccounts(MemoryAccounts):
    """The in-process accounts, with every charge written to the store recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, list[str], float]] = []

    async def charge(self, period: str, scopes: list[str], usd: float) -> None:
        self.writes.append((period, scopes, usd))
        await super().charge(period, scopes, usd)


def _key(key_id: str, team: str | None = None) -> KeyConfig:
    return KeyConfig.model_validate({"id": key_id, "salt": "s", "sha256": "0" * 64, "team": team})


def test_charges_of_one_loop_turn_are_one_write_per_key() -> None:
    async def run() -> tuple[RecordingAccounts, Budgets, list[float]]:
        accounts = RecordingAccounts()
        budgets = Budgets(accounts, lambda: JUNE)
        alice, bob = _key("alice", "red"), _key("bob")
        for usd in (0.25, 0.5, 0.125):
            budgets.charge(alice, usd)
        budgets.charge(bob, 1.0)
        budgets.charge(bob, 0.0)  # nothing to charge: no write
        await budgets.drain()
        budgets.charge(alice, 2.0)  # after the write: a write of its own
        await budgets.drain()
        spend = await accounts.spend("2026-06", ["key:alice", "team:red", "key:bob"])
        return accounts, budgets, spend

    accounts, budgets, spend = asyncio.run(run())
    assert accounts.writes == [
        ("2026-06", ["key:alice", "team:red"], 0.875),
        ("2026-06", ["key:bob"], 1.0),
        ("2026-06", ["key:alice", "team:red"], 2.0),
    ]
    assert spend == [2.875, 2.875, 1.0]
    assert dict(budgets.spent) == {("alice", "red"): 2.875, ("bob", ""): 1.0}


def test_period_names_the_month_of_each_instant_across_boundaries() -> None:
    new_year = dt.datetime(2027, 1, 1, tzinfo=dt.UTC).timestamp()
    july = dt.datetime(2026, 7, 1, tzinfo=dt.UTC).timestamp()
    # In an order that leaves and re-enters the remembered month.
    instants = [JUNE, july - 0.001, july, JUNE, new_year - 0.5, new_year, 0.0, new_year]
    assert [period_of(t) for t in instants] == [
        "2026-06",
        "2026-06",
        "2026-07",
        "2026-06",
        "2026-12",
        "2027-01",
        "1970-01",
        "2027-01",
    ]
    assert seconds_to_reset(new_year - 0.5) == 1
    assert seconds_to_reset(july - 86_400) == 86_400
