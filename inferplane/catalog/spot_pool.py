"""Which instance types may share one spot pool with a fleet's primary type.

A GPU fleet runs one model with one engine command: every instance the group launches
must hold the same weights with the same tensor-parallel split and boot the same AMI.
So a type joins the pool only if it has as many GPUs as the primary, each with the same
memory, and the same CPU architecture (the launch template's AMI is per architecture).
Spreading spot over such types (and over zones) is what keeps a spot pool available:
AWS reclaims capacity per instance type and zone.
"""

from __future__ import annotations

from collections.abc import Iterable

from inferplane.catalog.accelerators import gpu_of

__all__ = ["architecture", "spot_pool_issue"]


def architecture(instance_type: str) -> str:
    """``arm64`` for Graviton families (``g5g``), else ``x86_64``."""
    return "arm64" if instance_type.split(".", maxsplit=1)[0].endswith("g") else "x86_64"


def spot_pool_issue(primary: str, others: Iterable[str]) -> str | None:
    """Why ``others`` cannot serve beside ``primary`` (one reason), or None."""
    want = gpu_of(primary)
    for other in others:
        if other == primary:
            return f"{other!r} is the primary instance_type already; list only extra types"
        got = gpu_of(other)
        if want is None or got is None:
            unknown = primary if want is None else other
            return (
                f"{unknown!r} has no GPU memory in inferplane's accelerator table; spot"
                " types must match the primary's GPUs, so only known types are allowed"
            )
        if (got.count, got.gib) != (want.count, want.gib):
            return (
                f"{other!r} has {got}, {primary!r} has {want}; every type of the pool"
                " needs the same GPU count and memory per GPU (same weights, same split)"
            )
        if architecture(other) != architecture(primary):
            return (
                f"{other!r} is {architecture(other)}, {primary!r} is"
                f" {architecture(primary)}; one launch template boots one AMI architecture"
            )
    return None
