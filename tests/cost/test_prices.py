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
