"""Stack selection shared by the commands: ``--stack NAME`` or ``--all``, the ``--as-of``
date, and the spec's advisories printed as warnings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from inferplane.cli.output import err
from inferplane.errors import InferplaneError
from inferplane.spec import StackFile, find_project, list_stacks, load_stack
from inferplane.spec.asof import parse_as_of

__all__ = ["AsOfOpt", "as_of_date", "selected_stacks", "validated", "warn_advisories"]

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Judge dates (reservation end dates, waiver expiry) as of DATE (YYYY-MM-DD) "
        "instead of today.",
    ),
]


def as_of_date(value: str | None) -> dt.date | None:
    """The ``--as-of`` option as a date (None: today); a usage error when it is not one."""
    if value is None:
        return None
    try:
        return parse_as_of(value)
    except ValueError as exc:
        raise InferplaneError(str(exc)) from None


def selected_stacks(
    stack: str | None, all_stacks: bool, project: Path | None, as_of: dt.date | None = None
) -> tuple[Path, list[StackFile]]:
    root = find_project(project)
    if all_stacks == (stack is not None):
        raise InferplaneError("give exactly one of --stack NAME or --all")
    names = list_stacks(root) if all_stacks else [str(stack)]
    if not names:
        raise InferplaneError(f"no stacks in {root}/stacks (expected Pulumi.<stack>.yaml files)")
    return root, [load_stack(root, name, as_of) for name in names]


def validated(stacks: list[StackFile]) -> list[StackFile]:
    """``stacks`` after every spec was validated (SpecError otherwise), so nothing claims a
    program ran when a spec was refused before running it."""
    for stack_file in stacks:
        stack_file.spec_or_none  # noqa: B018 - raises SpecError
    return stacks


def warn_advisories(stack_file: StackFile) -> None:
    """Print the spec's advisories: valid, but probably not what was meant."""
    for issue in stack_file.advisories:
        err.print(
            f"[yellow]warning:[/] {escape(stack_file.name)}: {escape(str(issue))}",
            soft_wrap=True,
        )
