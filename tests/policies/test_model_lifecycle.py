"""Bedrock model lifecycle from the dated offline table (issue 13): refuse Legacy/EOL in
prod, warn within 90 days of EOL."""

from __future__ import annotations

import datetime as dt

import pytest

from inferplane.catalog.bedrock_models import LIFECYCLE, Lifecycle, lifecycle_finding

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"


def test_past_eol_is_refused_in_prod_and_warned_elsewhere() -> None:
    today = dt.date(2026, 11, 30)
    prod = lifecycle_finding(HAIKU_3, today, prod=True)
    dev = lifecycle_finding(HAIKU_3, today, prod=False)
    assert prod is not None
    assert prod.refuse
    assert "past end of life (EOL 2026-09-10)" in prod.message
    assert dev is not None
    assert not dev.refuse


def test_within_90_days_of_eol_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LIFECYCLE, "x.model-v1:0", Lifecycle("active", dt.date(2027, 1, 31), "t"))
    soon = lifecycle_finding("x.model-v1:0", dt.date(2026, 11, 30), prod=True)
    later = lifecycle_finding("x.model-v1:0", dt.date(2026, 10, 1), prod=True)
    after = lifecycle_finding("x.model-v1:0", dt.date(2027, 2, 1), prod=True)
    assert soon is not None
    assert not soon.refuse
    assert "in 62 days" in soon.message
    assert later is None
    assert after is not None
    assert after.refuse


def test_active_and_unknown_models_pass() -> None:
    today = dt.date(2026, 11, 30)
    assert lifecycle_finding("amazon.nova-lite-v1:0", today, prod=True) is None
    assert lifecycle_finding("acme.unknown-v1:0", today, prod=True) is None
