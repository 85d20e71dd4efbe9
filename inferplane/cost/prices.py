"""The dated price table (``prices.yaml``) and lookups that answer "unknown" as None.

An absent price is unknown, never zero: every lookup returns a ``Price`` (value plus its
source) or None, and callers carry the None through to the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from inferplane.errors import ConfigFileError
from inferplane.spec.capacity import CommitmentTerm
from inferplane.yamlload import read_yaml

__all__ = [
    "UNITS",
    "Price",
    "PriceEntry",
    "PriceTable",
    "Source",
    "default_prices",
    "prices_with",
]

Unit = Literal[
    "1k_input_tokens",
    "1k_output_tokens",
    "model_unit_hour",
    "instance_hour",
    "gb_second",
    "million_requests",
    "gpu_hour",
    "ptu_hour",
    "ptu_month",
    "spot_discount",
    "reserved_discount",
    "gb_hour",
    "million_ecpus",
]
UNITS: tuple[str, ...] = Unit.__args__  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    url: str
    note: str = ""


class PriceEntry(_Model):
    service: str
    sku: str
    region: str
    unit: Unit
    term: CommitmentTerm = "none"
    usd: float = Field(ge=0)
    source: str


class PriceTable(_Model):
    """Every known price, with the date it was compiled and where each came from."""

    as_of: str
    currency: Literal["USD"]
    sources: dict[str, Source]
    prices: tuple[PriceEntry, ...]

    @model_validator(mode="after")
    def _sources_exist(self) -> PriceTable:
        for entry in self.prices:
            if entry.source not in self.sources:
                raise ValueError(
                    f"price {entry.service}/{entry.sku}/{entry.unit} names source "
                    f"{entry.source!r}; defined: {', '.join(self.sources)}"
                )
            if entry.unit.endswith("_discount") and entry.usd >= 1:
                raise ValueError(f"{entry.service}/{entry.unit} {entry.usd} is not a fraction")
        return self

    def lookup(
        self, service: str, sku: str, region: str | None, unit: Unit, term: CommitmentTerm = "none"
    ) -> Price | None:
        """The price for this key; an entry with region/sku ``*`` matches any.

        The most specific entry wins (exact SKU before ``*``, then exact region before
        ``*``); among equally specific entries the first one listed wins -- which is how an
        override file's entries (listed first by ``overlay``) replace the shipped ones."""
        best: tuple[int, PriceEntry] | None = None
        for entry in self.prices:
            if (
                entry.service == service
                and entry.unit == unit
                and entry.term == term
                and entry.sku in (sku, "*")
                and entry.region in (region, "*")
            ):
                rank = 2 * (entry.sku == sku) + (entry.region == region)
                if best is None or rank > best[0]:
                    best = (rank, entry)
        if best is None:
            return None
        entry = best[1]
        return Price(entry.usd, entry.source, self.sources[entry.source].url)

    def overlay(self, override: PriceTable) -> PriceTable:
        """This table with ``override``'s prices taking precedence (a ``--prices`` file).

        Sources keep their keys; an override source whose key the shipped table already
        uses with another URL is refused rather than silently re-pointing shipped prices."""
        for key, source in override.sources.items():
            mine = self.sources.get(key)
            if mine is not None and mine.url != source.url:
                raise ConfigFileError(
                    f"price file: sources.{key} is already a shipped source ({mine.url}); "
                    "use another key for your own source"
                )
        return PriceTable(
            as_of=f"{override.as_of} (override) + {self.as_of}",
            currency=self.currency,
            sources={**self.sources, **override.sources},
            prices=(*override.prices, *self.prices),
        )

    @classmethod
    def load(cls, path: Path) -> PriceTable:
        data = read_yaml(path, "price table")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigFileError(f"price table {path} is invalid:\n{exc}") from exc


@dataclass(frozen=True)
class Price:
    usd: float
    source: str
    url: str


def prices_with(override: Path | None) -> PriceTable:
    """The shipped table, with the prices of ``override`` (a ``--prices`` file) on top."""
    table = default_prices()
    return table if override is None else table.overlay(PriceTable.load(override))


@cache
def default_prices() -> PriceTable:
    """The price table shipped with inferplane."""
    path = Path(str(resources.files("inferplane.cost").joinpath("prices.yaml")))
    return PriceTable.load(path)
