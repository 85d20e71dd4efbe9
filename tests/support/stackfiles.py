"""Stack files written the way a user writes them: a shipped stack's YAML text, edited as
text (so YAML-level mistakes such as unquoted dates or repeated keys survive), in a project
directory of its own that holds the real program (``__main__.py``) and ``Pulumi.yaml``.

    project = stack_project(tmp_path, "dev", edit=lambda text: text.replace(...))
    stack = load_stack(project, "dev")
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT

__all__ = ["insert_after", "stack_project", "stack_text"]


def stack_text(stack: str) -> str:
    return (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")


def insert_after(anchor: str, lines: str) -> Callable[[str], str]:
    """An edit that inserts ``lines`` after the first line equal to ``anchor``."""

    def edit(text: str) -> str:
        head, sep, tail = text.partition(anchor + "\n")
        assert sep, f"{anchor!r} not in the stack file"
        return head + sep + lines + tail

    return edit


def stack_project(
    tmp_path: Path,
    stack: str,
    edit: Callable[[str], str] = lambda text: text,
    name: str | None = None,
) -> Path:
    """A project at ``tmp_path`` whose only stack is ``stack``'s file after ``edit``."""
    (tmp_path / "stacks").mkdir(exist_ok=True)
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, tmp_path / file)
    target = tmp_path / "stacks" / f"Pulumi.{name or stack}.yaml"
    target.write_text(edit(stack_text(stack)), encoding="utf-8")
    return tmp_path
