"""Offline plan: the real program under Pulumi's mock runtime, recorded as a graph."""

from __future__ import annotations

from inferplane.plan.graph import Graph, Invoke, Resource
from inferplane.plan.runner import run_program

__all__ = ["Graph", "Invoke", "Resource", "run_program"]
