"""Plain-text secrets in a stack file. Stack files are committed, so a secret belongs in a
``secure:`` value (``pulumi config set --secret``) and the spec holds only references to
secrets (an ARN, a Key Vault name, a Kubernetes secret). The issues never contain the value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferplane.errors import Issue, key_path
from inferplane.secret_shapes import a_kind, credential_kind, is_reference, names_a_secret

__all__ = ["config_secrets", "pasted_credentials"]


def config_secrets(config: Mapping[str, Any], spec_key: str) -> Iterator[Issue]:
    """Config values outside the spec that hold a secret in plain text: by the key's name
    (``aws:secretKey``, ``myapp:dbPassword``) or by the value's shape (a token anywhere).
    ``secure:`` values were replaced by placeholders when the file was read."""
    for key, value in config.items():
        if key != spec_key:
            yield from _config_value(key, value)


def pasted_credentials(data: object) -> Iterator[Issue]:
    """Values in the spec block shaped like a credential: a token pasted where a reference
    to a secret (or any other value) belongs."""
    for path, value in _strings(data, ()):
        kind = credential_kind(value)
        if kind is not None:
            yield Issue(
                key_path(path),
                f"looks like {a_kind(kind)}: the spec holds references to secrets, never their "
                "values. Keep the value in a secret store (Secrets Manager, Key Vault, Secret "
                "Manager, a Kubernetes secret) and reference it here",
            )


def _config_value(key: str, value: object) -> Iterator[Issue]:
    for path, text in _strings(value, ()):
        kind = credential_kind(text)
        named = names_a_secret(key) or any(isinstance(p, str) and names_a_secret(p) for p in path)
        if kind is None and not (named and text and not is_reference(text)):
            continue
        why = f"its value looks like {a_kind(kind)}" if kind else "its name says it holds a secret"
        where = key_path((key, *path))
        command = (
            f"pulumi config set --secret --path '{where}'"
            if path
            else (f"pulumi config set --secret {key}")
        )
        yield Issue(
            where,
            f"plain-text secret in a committed stack file ({why}); store it encrypted "
            f"with `{command}` (it prompts for the value)",
        )


_Path = tuple[str | int, ...]


def _strings(value: object, path: _Path) -> Iterator[tuple[_Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
