from __future__ import annotations

from pathlib import Path

import pytest

from inferplane.cost.prices import UNITS, PriceTable, default_prices
from inferplane.errors import ConfigFileError


def test_shipped_table_is_dated_and_every_price_has_a_source() -> None:
    table = default_prices()
    assert table.as_of == "2026-11-26"
    assert table.prices
    for entry in table.prices:
        assert entry.source in table.sources
        assert entry.unit in UNITS


def test_wildcard_region_and_sku_match_any() -> None:
    table = default_prices()
    spot = table.lookup("ec2", "p5.48xlarge", "ap-south-1", "spot_discount")
    assert spot is not None
    assert 0 < spot.usd < 1


def test_absent_price_is_none_not_zero() -> None:
    table = default_prices()
    assert (
        table.lookup(
            "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "eu-central-1", "1k_input_tokens"
        )
        is None
    )
    assert table.lookup("ec2", "g5.2xlarge", "us-east-1", "instance_hour", "3_years") is None


def test_term_selects_the_commitment_price() -> None:
    table = default_prices()
    month = table.lookup("azure_openai", "ptu", "westeurope", "ptu_month", "1_month")
    year = table.lookup("azure_openai", "ptu", "westeurope", "ptu_month", "1_year")
    assert month is not None
    assert year is not None
    assert year.usd < month.usd


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "as_of: x\ncurrency: USD\nsources: {}\nprices:\n"
            "  - {service: ec2, sku: a, region: b, unit: instance_hour, usd: 1, source: nope}\n",
            "names source 'nope'",
        ),
        (
            "as_of: x\ncurrency: USD\nsources: {s: {url: u}}\nprices:\n"
            "  - {service: ec2, sku: a, region: b, unit: spot_discount, usd: 1.5, source: s}\n",
            "is not a fraction",
        ),
        (
            "as_of: x\ncurrency: USD\nsources: {s: {url: u}}\nprices:\n"
            "  - {service: ec2, sku: a, region: b, unit: furlongs, usd: 1, source: s}\n",
            "unit",
        ),
        ("as_of: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_tables_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(body)
    with pytest.raises(ConfigFileError, match=message):
        PriceTable.load(path)


def _table(*rows: tuple[str, str, float], as_of: str = "2000-01-01", url: str = "t") -> PriceTable:
    return PriceTable.model_validate(
        {
            "as_of": as_of,
            "currency": "USD",
            "sources": {"t" if url == "t" else "mine": {"url": url}},
            "prices": [
                {
                    "service": "ec2",
                    "sku": sku,
                    "region": region,
                    "unit": "instance_hour",
                    "usd": usd,
                    "source": "t" if url == "t" else "mine",
                }
                for sku, region, usd in rows
            ],
        }
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # The most specific entry wins whatever the order it is listed in.
        ((("*", "*", 9.0), ("g5.xlarge", "*", 2.0), ("g5.xlarge", "eu-west-1", 1.0)), 1.0),
        ((("g5.xlarge", "eu-west-1", 1.0), ("g5.xlarge", "*", 2.0), ("*", "*", 9.0)), 1.0),
        ((("*", "eu-west-1", 3.0), ("g5.xlarge", "*", 2.0)), 2.0),
        ((("*", "*", 9.0), ("*", "eu-west-1", 3.0)), 3.0),
        ((("*", "*", 9.0),), 9.0),
        ((("g5.xlarge", "us-east-1", 1.0),), None),
    ],
)
def test_lookup_prefers_the_most_specific_entry(
    rows: tuple[tuple[str, str, float], ...], expected: float | None
) -> None:
    price = _table(*rows).lookup("ec2", "g5.xlarge", "eu-west-1", "instance_hour")
    assert (price.usd if price else None) == expected


def test_an_override_file_takes_precedence_and_the_shipped_table_fills_the_rest() -> None:
    shipped = _table(("g5.xlarge", "us-east-1", 1.0), ("g5.2xlarge", "us-east-1", 1.2))
    mine = _table(("g5.xlarge", "us-east-1", 0.5), url="https://example.com/our-edp", as_of="x")
    table = shipped.overlay(mine)
    first = table.lookup("ec2", "g5.xlarge", "us-east-1", "instance_hour")
    second = table.lookup("ec2", "g5.2xlarge", "us-east-1", "instance_hour")
    assert first is not None
    assert (first.usd, first.url) == (0.5, "https://example.com/our-edp")
    assert second is not None
    assert second.usd == 1.2
    assert table.as_of == "x (override) + 2000-01-01"


def test_an_override_may_not_re_point_a_shipped_source() -> None:
    shipped = default_prices()
    key = next(iter(shipped.sources))
    mine = PriceTable.model_validate(
        {"as_of": "x", "currency": "USD", "sources": {key: {"url": "elsewhere"}}, "prices": []}
    )
    with pytest.raises(ConfigFileError, match=f"sources.{key} is already a shipped source"):
        shipped.overlay(mine)
