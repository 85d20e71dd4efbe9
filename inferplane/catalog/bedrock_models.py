"""Bedrock model facts offline: the Provisioned Throughput model ID variant and the model
lifecycle (Active / Legacy / EOL date). Dated tables; preflight confirms online.

Provisioned Throughput: AWS Bedrock user guide, "Supported Region and models for
Provisioned Throughput" (pt-supported / prov-thru-supported), read 2026-11-30: purchasing
PT through the API takes the *contextual variant* of the model ID (``...:300k``), not the
on-demand ID.

Lifecycle: AWS Bedrock user guide, "Model lifecycle (Legacy)" and the per-model cards,
read 2026-11-30. Dates are Bedrock's, which may differ from the provider's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AS_OF",
    "EOL_WARNING_DAYS",
    "LIFECYCLE",
    "PT_SOURCE",
    "PT_VARIANTS",
    "Lifecycle",
    "LifecycleFinding",
    "lifecycle_finding",
    "pt_model_id",
]

AS_OF = "2026-11-30"
EOL_WARNING_DAYS = 90
"""Warn this many days before a model's EOL date."""

PT_SOURCE = "https://docs.aws.amazon.com/bedrock/latest/userguide/prov-thru-supported.html"

PT_VARIANTS: dict[str, tuple[str, frozenset[str]]] = {
    "amazon.nova-lite-v1:0": ("amazon.nova-lite-v1:0:300k", frozenset({"us-east-1"})),
    "amazon.nova-micro-v1:0": ("amazon.nova-micro-v1:0:128k", frozenset({"us-east-1"})),
    "amazon.nova-pro-v1:0": ("amazon.nova-pro-v1:0:300k", frozenset({"us-east-1"})),
    "amazon.nova-2-lite-v1:0": ("amazon.nova-2-lite-v1:0:256k", frozenset({"us-east-1"})),
    "amazon.titan-embed-text-v1": (
        "amazon.titan-embed-text-v1:2:8k",
        frozenset({"us-east-1", "us-west-2"}),
    ),
    "anthropic.claude-3-haiku-20240307-v1:0": (
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        frozenset({"us-east-1", "us-west-2"}),
    ),
}
"""On-demand model ID -> (the longest-context PT variant, regions selling PT for it)."""


def pt_model_id(model_id: str, region: str) -> str | None:
    """The model ID to buy Provisioned Throughput with in ``region``, or None when the
    table does not list PT for the model there."""
    row = PT_VARIANTS.get(model_id)
    if row is None or region not in row[1]:
        return None
    return row[0]


LifecycleState = Literal["active", "legacy", "eol"]


@dataclass(frozen=True)
class Lifecycle:
    """One model's lifecycle on Bedrock."""

    state: LifecycleState
    eol: dt.date | None
    source: str


def _card(name: str) -> str:
    return f"https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-{name}.html"


LIFECYCLE: dict[str, Lifecycle] = {
    # "Claude 3 Haiku reached end of life on 2026-09-10 in most Regions" (model card).
    "anthropic.claude-3-haiku-20240307-v1:0": Lifecycle(
        "eol", dt.date(2026, 9, 10), _card("anthropic-claude-3-haiku")
    ),
    "anthropic.claude-3-5-haiku-20241022-v1:0": Lifecycle(
        "eol", dt.date(2026, 6, 19), _card("anthropic-claude-3-5-haiku")
    ),
    # Listed under "Legacy and end-of-life" on the lifecycle page; superseded by v2.
    "anthropic.claude-3-5-sonnet-20240620-v1:0": Lifecycle(
        "eol",
        None,
        "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html",
    ),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": Lifecycle(
        "eol", dt.date(2026, 4, 28), _card("anthropic-claude-3-7-sonnet")
    ),
    "amazon.nova-lite-v1:0": Lifecycle("active", None, _card("amazon-nova-lite")),
    "amazon.nova-pro-v1:0": Lifecycle("active", None, _card("amazon-nova-pro")),
    "amazon.nova-micro-v1:0": Lifecycle("active", None, _card("amazon-nova-micro")),
}
"""Model ID (on-demand, without a profile prefix) -> lifecycle, checked on ``AS_OF``."""


@dataclass(frozen=True)
class LifecycleFinding:
    """What the lifecycle means for a stack on ``today``: refuse or warn, and why."""

    refuse: bool
    message: str


def lifecycle_finding(model_id: str, today: dt.date, prod: bool) -> LifecycleFinding | None:
    """A Legacy or past-EOL model is refused in prod (warned elsewhere); a model within
    ``EOL_WARNING_DAYS`` of its EOL date is warned. None: active, or not in the table."""
    row = LIFECYCLE.get(model_id)
    if row is None:
        return None
    eol = f" (EOL {row.eol.isoformat()})" if row.eol else ""
    if row.state != "active" or (row.eol is not None and row.eol <= today):
        state = (
            "past end of life" if row.state == "eol" or (row.eol and row.eol <= today) else "Legacy"
        )
        return LifecycleFinding(
            prod,
            f"Bedrock model {model_id!r} is {state}{eol} per {row.source} "
            f"(table checked {AS_OF}): pick an Active model",
        )
    if row.eol is not None and (row.eol - today).days <= EOL_WARNING_DAYS:
        days = (row.eol - today).days
        return LifecycleFinding(
            False,
            f"Bedrock model {model_id!r} reaches end of life in {days} days{eol}: plan the move",
        )
    return None
