"""The one exception tree of the inferplane package.

    InferplaneError                 anything inferplane reports to a user (CLI exit 2)
    ├── SpecError                   the stack spec is invalid; carries one Issue per problem
    ├── StackNotFoundError          no stacks/Pulumi.<name>.yaml
    ├── ConfigFileError             a file could not be read or parsed (YAML/JSON)
    ├── PlanError                   the program failed under the mock runtime
    ├── BuildError                  a package, image or edge bundle could not be built
    └── CloudAccessError            a cloud API could not be used (preflight, verify)
        ├── CredentialsMissingError no credentials: says what to set
        └── AccessDeniedError       a call was denied: names the missing permission

Lower-level errors (pydantic, yaml, OSError) are translated at the boundary with
``raise ... from exc`` so the CLI can print them without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AccessDeniedError",
    "BuildError",
    "CloudAccessError",
    "ConfigFileError",
    "CredentialsMissingError",
    "InferplaneError",
    "Issue",
    "PlanError",
    "SpecError",
    "StackNotFoundError",
]


class InferplaneError(Exception):
    """Base class of every error inferplane reports to a user."""


@dataclass(frozen=True)
class Issue:
    """One problem in a spec: where it is, what was found, and what is allowed."""

    path: str
    message: str
    value: object = None

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{self.path}: {self.message}{shown}"


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
