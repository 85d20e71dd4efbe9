"""Which part of an Auto Scaling group's baseline is guaranteed: the on-demand part.

Spot capacity can be reclaimed at two minutes' notice and cannot use capacity
reservations, so it is never a baseline. A group with a mixed instances policy runs
``onDemandBaseCapacity`` instances on demand, then ``onDemandPercentageAboveBaseCapacity``
percent of the rest; AWS rounds that share up, in favour of on-demand ("Instances
distribution" in the EC2 Auto Scaling user guide). A group without one is all on demand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from policies.model import Resource
from policies.values import as_number, get

__all__ = ["on_demand_baseline"]

_DISTRIBUTION = "mixedInstancesPolicy.instancesDistribution"


def on_demand_baseline(group: Resource, running: float | None = None) -> float | None:
    """Instances of the group's baseline that run on demand; None when not known yet
    (a preview with computed sizes). The baseline is ``running`` when given (IP-CAP-005
    passes the larger of minSize and desiredCapacity), else ``minSize``."""
    props = group.properties
    minimum = running if running is not None else as_number(props.get("minSize"))
    if minimum is None:
        return None
    distribution = get(props, _DISTRIBUTION)
    if distribution is None:
        return minimum
    if not isinstance(distribution, Mapping):
        return None  # unknown in a preview
    # The API's defaults: no base, everything above it on demand.
    base = _or(distribution.get("onDemandBaseCapacity"), 0.0)
    share = _or(distribution.get("onDemandPercentageAboveBaseCapacity"), 100.0)
    if base is None or share is None:
        return None
    on_base = min(minimum, base)
    return on_base + math.ceil((minimum - on_base) * share / 100)


def _or(value: object, default: float) -> float | None:
    return default if value is None else as_number(value)
