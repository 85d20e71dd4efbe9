"""The router's source tree: the one set of files both packages (Lambda zip, OCI image)
ship, so the two never drift apart."""

from __future__ import annotations

from pathlib import Path

from inferplane.errors import BuildError

__all__ = ["PACKAGE", "router_files"]

PACKAGE = "router"


def router_files(source_root: Path, *, require: str = "__init__.py") -> list[tuple[str, Path]]:
    """``(archive path, file)`` for every file of the ``router`` package under
    ``source_root``, sorted; bytecode and caches are left out. ``require`` names the
    module the package must have (the image needs ``__main__.py``, Lambda ``core.py``)."""
    package = source_root / PACKAGE
    if not (package / "__init__.py").is_file():
        raise BuildError(f"no router package at {package} (expected {package}/__init__.py)")
    if not (package / require).is_file():
        raise BuildError(
            f"{package} has no {require}: the package's entry point must exist before "
            "the router can be packaged"
        )
    files = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(source_root)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files.append((relative.as_posix(), path))
    return files
