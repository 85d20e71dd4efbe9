"""The ``inferplane`` command. Each module in ``inferplane.cli.commands`` registers its own
commands, so adding a command touches no shared list."""

from __future__ import annotations

import pkgutil
import sys
from importlib import import_module

import typer

from inferplane.cli.output import fail
from inferplane.errors import InferplaneError, PlanError

__all__ = ["app", "main"]

app = typer.Typer(
    name="inferplane",
    help="Provision AI inference on cloud, edge and hybrid; plan and check it offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_commands() -> None:
    from inferplane.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        import_module(f"{commands.__name__}.{info.name}").register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except PlanError as error:
        fail(str(error), code=1)
    except InferplaneError as error:
        fail(str(error), code=2)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    sys.exit(0)
