"""The decision framework: requirements -> recommended architecture (the seed's decision
table as code), its reasons, trade-offs priced with the cost table, and a starter stack."""

from __future__ import annotations

from inferplane.recommend.decide import Decision, decide
from inferplane.recommend.requirements import Architecture, Requirements
from inferplane.recommend.starter import starter_config, starter_spec, write_stack
from inferplane.recommend.table import RULES, Rule
from inferplane.recommend.tradeoffs import Option, cloud_options, model_price_ratio

__all__ = [
    "RULES",
    "Architecture",
    "Decision",
    "Option",
    "Requirements",
    "Rule",
    "cloud_options",
    "decide",
    "model_price_ratio",
    "starter_config",
    "starter_spec",
    "write_stack",
]
