"""A spec target as the kind a test knows it is (the builders take the narrow type), and a
router target config with the fields a test does not care about filled in."""

from __future__ import annotations

from typing import Any, TypeVar

from inferplane.router.config import TargetConfig
from inferplane.spec import StackSpec

T = TypeVar("T")


def target_as(spec: StackSpec, name: str, kind: type[T]) -> T:
    """``spec.targets[name]``, checked to be a ``kind``; a wrong kind fails the test."""
    found = spec.targets[name]
    assert isinstance(found, kind), f"{name} is {type(found).__name__}, not {kind.__name__}"
    return found


def target_config(backend: str = "openai", **fields: Any) -> TargetConfig:
    """A router ``TargetConfig`` of ``backend`` (model ``m`` at ``https://example.test/v1``,
    public data, in AWS us-east-1), with ``fields`` replacing any of that."""
    base: dict[str, Any] = {
        "backend": backend,
        "model": "m",
        "url": "https://example.test/v1",
        "region": "us-east-1",
        "location": "cloud:aws:us-east-1",
        "allowed_data_classes": ["public"],
    }
    return TargetConfig.model_validate({**base, **fields})
