"""How ``preflight`` and ``verify`` print their check report and set the exit code."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from inferplane.cli.output import console
from inferplane.errors import InferplaneError

if TYPE_CHECKING:
    from inferplane.preflight.result import Report

__all__ = ["check_format", "show_report"]

FORMATS = ("table", "json")


def check_format(value: str) -> None:
    """Refuse a ``--format`` other than table or json (before any work is done)."""
    if value not in FORMATS:
        raise InferplaneError(f"--format {value!r}: allowed: {', '.join(FORMATS)}")


def show_report(report: Report, output: str, title: str) -> None:
    """Print ``report`` as a table with a summary, or as JSON; exit 1 when a check failed."""
    from inferplane.preflight.render import report_table, summary

    if output == "json":
        console.print_json(json.dumps(report.to_dict()))
    else:
        console.print(report_table(report, title))
        console.print(summary(report))
    if not report.ok:
        raise typer.Exit(1)
