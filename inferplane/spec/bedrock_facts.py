"""Bedrock facts the spec can check offline: Provisioned Throughput exists for the model in
the region (the component buys it on the table's context-length variant)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from inferplane.catalog.bedrock_models import PT_SOURCE, PT_VARIANTS, pt_model_id
from inferplane.errors import Issue
from inferplane.spec.targets import BedrockTarget

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["bedrock_issues"]


def bedrock_issues(spec: StackSpec) -> Iterator[Issue]:
    """A provisioned Bedrock target whose model has no PT variant in its region."""
    for name, target in spec.targets.items():
        if not isinstance(target, BedrockTarget) or target.capacity.mode != "provisioned":
            continue
        if pt_model_id(target.model, target.region) is None:
            row = PT_VARIANTS.get(target.model)
            where = f"only in {', '.join(sorted(row[1]))}" if row else "not at all"
            yield Issue(
                f"targets.{name}.model",
                f"Provisioned Throughput is sold for this model {where} ({PT_SOURCE}); "
                f"listed: {', '.join(sorted(PT_VARIANTS))}",
                target.model,
            )
