"""The source Pulumi's analyzer reads field docs from, for the provider's views.

The analyzer takes a property's description from the source of the class it analyzes
(``inspect.getsource``: the string literal after the annotated assignment), so a field
inherited from a base class (SageMakerEndpointArgs from SageMakerModelArgs, a component's
outputs from TargetComponent) has none. Every view is therefore declared in this one
generated module, whose source lists each view's fields, own and inherited, each followed
by its docstring from the class that declares it.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import textwrap
import types

__all__ = ["MODULE", "declare", "field_docs"]

MODULE = "inferplane.provider.generated_docs"
_FILE = f"<{MODULE}>"
_BLOCKS: dict[str, tuple[type, str]] = {}


def field_docs(cls: type) -> dict[str, str]:
    """``{field: docstring}`` over ``cls``'s MRO, the nearest declaration winning."""
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if base is object:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(base))
        except (OSError, TypeError):
            continue
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


def declare(view: type, origin: type, fields: list[str]) -> None:
    """Place ``view`` (named like ``origin``) in the generated module, documented with
    ``origin``'s field docstrings."""
    name = view.__name__
    known = _BLOCKS.get(name)
    if known is not None and known[0] is not origin:
        raise TypeError(
            f"{origin.__module__}.{origin.__qualname__} and "
            f"{known[0].__module__}.{known[0].__qualname__} share the name {name!r}: "
            "the package schema has one namespace of type names"
        )
    docs = field_docs(origin)
    lines = [f"class {name}:"]
    lines += [f"    {field}: object\n    {docs[field]!r}" for field in fields if field in docs]
    if len(lines) == 1:
        lines.append("    pass")
    _BLOCKS[name] = (origin, "\n".join(lines) + "\n")
    text = "\n\n".join(block for _, block in _BLOCKS.values())
    lines_of = text.splitlines(keepends=True)
    # mtime None: linecache.checkcache never drops the entry.
    linecache.cache[_FILE] = (len(text), None, lines_of, _FILE)
    module = sys.modules.get(MODULE)
    if module is None:
        module = types.ModuleType(MODULE, __doc__)
        module.__file__ = _FILE
        sys.modules[MODULE] = module
    setattr(module, name, view)
    view.__module__, view.__qualname__ = MODULE, name
