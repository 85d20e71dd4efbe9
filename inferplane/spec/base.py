"""Shared pydantic base and small value types used across the spec."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["NAME_PATTERN", "Name", "SpecModel"]


class SpecModel(BaseModel):
    """Every spec model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
"""A resource-safe name: lowercase letters, digits and '-', 2-40 characters, valid as a
tag value, GCP label and Kubernetes name alike."""
