"""Console output shared by the commands: one stdout console, one stderr console."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console

__all__ = ["console", "err", "fail"]

console = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error (no traceback) and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)
