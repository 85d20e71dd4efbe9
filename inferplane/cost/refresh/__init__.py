"""Refreshing the price table from primary sources: which prices the stacks need (asked of
the real estimators), and fetchers for the sources that publish them machine-readably:
the AWS Price List Query API (EC2 instance-hours) and the Azure Retail Prices API (VM
hours, which Azure ML managed online endpoints bill). The result is a price file in the
table's own format, for ``inferplane cost --prices FILE`` or for review into
``inferplane/cost/prices.yaml``."""

from __future__ import annotations

from inferplane.cost.refresh.wanted import PriceKey, needed_prices

__all__ = ["PriceKey", "needed_prices"]
