"""The stack spec: pydantic models for the ``inferplane:spec`` config block, their
cross-field checks, and loading from stack files or the running program's config."""

from __future__ import annotations

from inferplane.spec.load import (
    SPEC_KEY,
    StackFile,
    find_project,
    list_stacks,
    load_stack,
    parse_spec,
    project_name,
    provider_regions,
)
from inferplane.spec.stack import Environment, StackSpec
from inferplane.spec.targets import KINDS, Target, TargetBase

__all__ = [
    "KINDS",
    "SPEC_KEY",
    "Environment",
    "StackFile",
    "StackSpec",
    "Target",
    "TargetBase",
    "find_project",
    "list_stacks",
    "load_stack",
    "parse_spec",
    "project_name",
    "provider_regions",
]
