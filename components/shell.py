"""The one way a value reaches a shell script or user data (issue 19).

Every value that comes from a spec, a stack config or a component argument and is written
into a script passes through ``quote`` (an argument) or ``comment`` (text in a ``#`` line).
Both refuse control characters: a newline inside a quoted argument is harmless to the
shell, but it is never meant, and in a comment it would start a new command line. The spec
already restricts these values to grammars without shell characters
(``inferplane.spec.base``); this is the second lock.
"""

from __future__ import annotations

import re
import shlex

__all__ = ["UnsafeValueError", "comment", "quote"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeValueError(ValueError):
    """A value meant for a script holds a control character."""


def _check(value: str, what: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise UnsafeValueError(
            f"{what}: {value!r} holds control character {found.group()!r} "
            f"(U+{ord(found.group()):04X}); script values must be one line of printable text"
        )
    return value


def quote(value: str | int, what: str = "value") -> str:
    """``value`` as one shell word, single-quoted unless it needs no quoting."""
    return shlex.quote(_check(str(value), what))


def comment(value: str, what: str = "value") -> str:
    """``value`` for the text of a ``#`` comment line."""
    return _check(value, what)
