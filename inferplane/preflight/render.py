"""A results table shared by ``inferplane preflight`` and ``inferplane verify``."""

from __future__ import annotations

from rich.table import Table

from inferplane.preflight.result import Report

__all__ = ["STATUS_STYLE", "report_table", "summary"]

STATUS_STYLE = {"pass": "green", "fail": "bold red", "could-not-check": "yellow"}


def report_table(report: Report, title: str) -> Table:
    table = Table(title=f"{title}: {report.stack}", title_justify="left")
    for column in ("check", "subject", "status", "ms", "reason"):
        table.add_column(column, justify="right" if column == "ms" else "left")
    for r in report.results:
        elapsed = "" if r.elapsed_ms is None else f"{r.elapsed_ms:.0f}"
        status = f"[{STATUS_STYLE[r.status]}]{r.status}[/]"
        table.add_row(r.check, r.subject, status, elapsed, r.reason)
    return table


def summary(report: Report) -> str:
    counts = report.to_dict()["counts"]
    return (
        f"{counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['could-not-check']} could not be checked"
    )
