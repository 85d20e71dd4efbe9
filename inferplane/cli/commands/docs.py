"""``inferplane docs``: generated documentation (the policy rule catalogue)."""

from __future__ import annotations

import typer

from inferplane.cli.output import console

__all__ = ["register"]

docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)


@docs_app.command("rules")
def rules() -> None:
    """Print the policy rule catalogue as Markdown (docs/policy-rules.md)."""
    from inferplane.policies.catalogue import catalogue

    console.print(catalogue(), end="", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(docs_app, name="docs")
