"""Report formats, one per module: ``table`` (rich, default), ``json``, ``sarif``
(SARIF 2.1.0), ``junit`` (JUnit XML). Each text format exposes ``render(report) -> str``."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from inferplane.policies.engine import Report

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "sarif", "junit")


def render(report: Report, fmt: str) -> str:
    """``report`` as text in ``fmt`` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    module = import_module(f"inferplane.policies.report.{fmt}_report")
    renderer: Callable[[Report], str] = module.render
    return renderer(report)
