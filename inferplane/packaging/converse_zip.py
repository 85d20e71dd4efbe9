"""The ``lambda`` target's deployment package: the Converse handler and the part of the
router it runs, ``router.converse`` (the one OpenAI <-> Converse translator) with the three
standard-library modules it imports.

``converse_files`` is the one list of what the function ships: the deployment hands it to
Pulumi as an asset archive, ``build_converse_zip`` writes the same files as a
deterministic zip (the tests import the handler from that zip, alone on ``sys.path``).
In the zip the handler is the top-level module ``converse_handler`` beside the top-level
``router`` package.
"""

from __future__ import annotations

from pathlib import Path

from inferplane.errors import BuildError
from inferplane.packaging.lambda_zip import write_zip

__all__ = [
    "HANDLER",
    "ROUTER_MODULES",
    "TOOLKIT",
    "build_converse_zip",
    "converse_files",
    "function_environment",
]

HANDLER = "converse_handler.handler"
TOOLKIT = Path(__file__).parents[1]
"""The ``inferplane`` package: in the checkout its ``components`` and ``router`` are links
to the repository's folders, in an installed wheel the folders themselves."""
ROUTER_MODULES = (
    "__init__.py",
    "turns.py",
    "content.py",
    "tools.py",
    "openai_shapes.py",
    "converse/*.py",
)
"""What ``router.converse`` imports, relative to the router package (it imports nothing
else: tests/packaging/test_converse_zip.py checks the handler runs from these alone)."""


def function_environment(model: str) -> dict[str, str]:
    """The function's environment for a ``lambda`` target answering for ``model`` (the
    deployment renders it; ``inferplane router smoke`` runs the handler with it)."""
    return {"MODEL_ID": model}


def converse_files(toolkit: Path = TOOLKIT) -> dict[str, Path]:
    """``{archive path: file}`` of the handler's package, sorted by archive path."""
    handler = toolkit / "components" / "aws" / "converse_handler.py"
    router = toolkit / "router"
    files = {"converse_handler.py": handler}
    for pattern in ROUTER_MODULES:
        found = sorted(router.glob(pattern))
        if not found:
            raise BuildError(f"the Converse handler needs router/{pattern}; none under {router}")
        files.update({f"router/{p.relative_to(router).as_posix()}": p for p in found})
    if not handler.is_file():
        raise BuildError(f"no Converse handler at {handler}")
    return dict(sorted(files.items()))


def build_converse_zip(out: Path, toolkit: Path = TOOLKIT) -> Path:
    """Write the handler's deployment zip to ``out`` (handler ``HANDLER``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    write_zip(out, {name: path.read_bytes() for name, path in converse_files(toolkit).items()})
    return out
