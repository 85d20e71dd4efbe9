"""A spec target as the kind a test knows it is (the builders take the narrow type)."""

from __future__ import annotations

from typing import TypeVar

from inferplane.spec import StackSpec

T = TypeVar("T")


def target_as(spec: StackSpec, name: str, kind: type[T]) -> T:
    """``spec.targets[name]``, checked to be a ``kind``; a wrong kind fails the test."""
    found = spec.targets[name]
    assert isinstance(found, kind), f"{name} is {type(found).__name__}, not {kind.__name__}"
    return found
