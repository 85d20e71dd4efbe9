"""The one exception tree of the inferplane package.

    InferplaneError                 anything inferplane reports to a user (CLI exit 2)
    ├── SpecError                   the stack spec is invalid; carries one Issue per problem
    ├── StackNotFoundError          no stacks/Pulumi.<name>.yaml
    ├── ConfigFileError             a file could not be read or parsed (YAML/JSON)
    │   └── DuplicateKeyError       a YAML mapping repeats a key; one Issue per repeat
    ├── PlanError                   the program failed under the mock runtime
    ├── BuildError                  a package, image or edge bundle could not be built
    └── CloudAccessError            a cloud API could not be used (preflight, verify)
        ├── CredentialsMissingError no credentials: says what to set
        └── AccessDeniedError       a call was denied: names the missing permission

Lower-level errors (pydantic, yaml, OSError) are translated at the boundary with
``raise ... from exc`` so the CLI can print them without a traceback.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from inferplane.secret_shapes import redact, redact_text

__all__ = [
    "AccessDeniedError",
    "BuildError",
    "CloudAccessError",
    "ConfigFileError",
    "CredentialsMissingError",
    "DuplicateKeyError",
    "InferplaneError",
    "Issue",
    "PlanError",
    "SpecError",
    "StackNotFoundError",
    "key_path",
]


class InferplaneError(Exception):
    """Base class of every error inferplane reports to a user."""


@dataclass(frozen=True)
class Issue:
    """One problem in a spec: where it is, what was found, and what is allowed.

    A value or message part shaped like a credential is replaced by what it looked like
    (an error must not print a pasted token back to a terminal or a CI log), and a value
    with non-ASCII characters is shown with their code points, so a Cyrillic e (U+0435) in
    a region name is visible as the reason it is refused."""

    path: str
    message: str
    value: object = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", redact_text(self.message))
        object.__setattr__(self, "value", redact(self.value))

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {self.value!r})"
        text = f"{self.path}: {self.message}{shown}"
        return text + _code_points(text)


def key_path(parts: Iterable[str | int]) -> str:
    """The spec's spelling of a key path: ``targets.x.capacity``, ``routes[0].targets[1]``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _code_points(text: str) -> str:
    """A note naming each non-ASCII character of ``text`` (a homoglyph looks valid)."""
    odd = dict.fromkeys(c for c in text if not c.isascii())
    if not odd:
        return ""
    named = "; ".join(f"{c!r} is U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in odd)
    return f" [non-ASCII: {named}]"


class SpecError(InferplaneError):
    """The stack spec is invalid. ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue], source: str = "spec") -> None:
        self.issues = tuple(issues)
        self.source = source
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid stack spec in {source}:\n{lines}")

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(issue.path for issue in self.issues)


class StackNotFoundError(InferplaneError):
    """The named stack has no config file."""


class ConfigFileError(InferplaneError):
    """A file could not be read or parsed."""


class DuplicateKeyError(ConfigFileError):
    """A YAML mapping repeats a key; ``issues`` names each repeat by key path and lines."""

    def __init__(self, issues: Iterable[Issue], source: str) -> None:
        self.issues = tuple(issues)
        self.source = source
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{source} repeats keys:\n{lines}")


class PlanError(InferplaneError):
    """The Pulumi program failed while it ran under the mock runtime."""


class CloudAccessError(InferplaneError):
    """A cloud API could not be used."""


class CredentialsMissingError(CloudAccessError):
    """No credentials were found; the message says what to set."""


class AccessDeniedError(CloudAccessError):
    """The credentials may not make a call; ``permission`` is the IAM action it needs."""

    def __init__(self, permission: str, message: str) -> None:
        self.permission = permission
        super().__init__(f"access denied: needs {permission} ({message})")


class BuildError(InferplaneError):
    """A package, image or edge bundle could not be built: a tool is missing or failed,
    a download failed, or an input (profile, image pin, source tree) is unusable."""
