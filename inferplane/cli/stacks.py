"""Stack selection shared by the commands: ``--stack NAME`` or ``--all``."""

from __future__ import annotations

from pathlib import Path

from inferplane.errors import InferplaneError
from inferplane.spec import StackFile, find_project, list_stacks, load_stack

__all__ = ["selected_stacks"]


def selected_stacks(
    stack: str | None, all_stacks: bool, project: Path | None
) -> tuple[Path, list[StackFile]]:
    root = find_project(project)
    if all_stacks == (stack is not None):
        raise InferplaneError("give exactly one of --stack NAME or --all")
    names = list_stacks(root) if all_stacks else [str(stack)]
    if not names:
        raise InferplaneError(f"no stacks in {root}/stacks (expected Pulumi.<stack>.yaml files)")
    return root, [load_stack(root, name) for name in names]
