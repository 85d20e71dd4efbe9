"""Shared pydantic base and small value types used across the spec."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

__all__ = [
    "GRAMMARS",
    "IMAGE_PATTERN",
    "MODEL_PATTERN",
    "NAME_PATTERN",
    "PATH_PATTERN",
    "TEXT_PATTERN",
    "ImageRef",
    "ModelId",
    "Name",
    "PlainText",
    "SpecModel",
    "SpecPath",
    "Unique",
]


class SpecModel(BaseModel):
    """Every spec model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_Item = TypeVar("_Item", bound=Hashable)


def _no_repeats(values: tuple[_Item, ...]) -> tuple[_Item, ...]:
    # A repeated entry is never what the user meant: a target tried twice, a key scoped to
    # a class twice. Refusing it also surfaces the copy-paste slip that caused it.
    first: dict[_Item, int] = {}
    for index, value in enumerate(values):
        if value in first:
            raise ValueError(
                f"{value!r} is listed twice (entries {first[value]} and {index}); list each once"
            )
        first[value] = index
    return values


Unique = Annotated[tuple[_Item, ...], AfterValidator(_no_repeats)]
"""A list whose entries must all differ (in the order given)."""

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
"""A resource-safe name: lowercase letters, digits and '-', 2-40 characters, valid as a
tag value, GCP label and Kubernetes name alike."""


# Grammars for values that reach a shell, user data, a URL or a path (issue 19). Each admits
# exactly what the domain needs and no shell metacharacter, quote, space or control
# character; scripts still quote every value (components/shell.py), so both must fail for
# an injection to work.
IMAGE_PATTERN = (
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,255}$"
PATH_PATTERN = r"^/[A-Za-z0-9._/-]+$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
GCP_SECRET_PATTERN = r"^(projects/[a-z0-9-]{6,30}/secrets/)?[A-Za-z0-9_-]{1,255}$"
KEY_VAULT_ID_PATTERN = (
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}"
    r"/providers/Microsoft\.KeyVault/vaults/[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$"
)
KEY_VAULT_SECRET_PATTERN = r"^[0-9A-Za-z-]{1,127}$"

ImageRef = Annotated[str, StringConstraints(pattern=IMAGE_PATTERN, max_length=512)]
"""An OCI image reference: [registry[:port]/]repository[:tag][@sha256:digest]."""


def _no_parent_segment(value: str) -> str:
    # The Rust regex engine behind pydantic has no look-ahead, so '..' is refused here.
    if ".." in value.split("/") or "/../" in f"/{value}/":
        raise ValueError(f"{value!r} contains a '..' path segment")
    return value


ModelId = Annotated[
    str, StringConstraints(pattern=MODEL_PATTERN), AfterValidator(_no_parent_segment)
]
"""A model ID as vendors spell them (Hugging Face ``org/name``, Bedrock
``anthropic.claude-…:0`` or an ARN, Ollama ``llama3.1:8b``): letters, digits and
``. _ : / @ + -``; no spaces, quotes, ``$``, ``;``, ``..`` or control characters."""
SpecPath = Annotated[
    str, StringConstraints(pattern=PATH_PATTERN), AfterValidator(_no_parent_segment)
]
"""An absolute path of letters, digits and ``. _ / -``, without ``..`` segments."""
PlainText = Annotated[str, StringConstraints(pattern=TEXT_PATTERN, max_length=1024)]
"""Free text on one line: no control characters (newlines included)."""
GcpSecretRef = Annotated[str, StringConstraints(pattern=GCP_SECRET_PATTERN)]
"""A Secret Manager secret: its ID, or ``projects/<project>/secrets/<id>``."""

GRAMMARS: dict[str, str] = {
    NAME_PATTERN: "must be 2-40 lowercase letters, digits or '-', starting with a letter",
    IMAGE_PATTERN: "must be an OCI image reference "
    "([registry[:port]/]repository[:tag][@sha256:<64 hex>]) with no spaces or shell characters",
    MODEL_PATTERN: "must be a model ID of letters, digits and . _ : / @ + - "
    "(no spaces, quotes, shell characters, '..' or control characters)",
    PATH_PATTERN: "must be an absolute path of letters, digits and . _ / - without '..'",
    TEXT_PATTERN: "must be one line of text without control characters",
    GCP_SECRET_PATTERN: "must be a Secret Manager secret ID (letters, digits, '_', '-') or "
    "projects/<project>/secrets/<id>",
    KEY_VAULT_ID_PATTERN: "must be a Key Vault's ARM ID (/subscriptions/<id>/resourceGroups/"
    "<group>/providers/Microsoft.KeyVault/vaults/<name>)",
    KEY_VAULT_SECRET_PATTERN: "must be a Key Vault secret name (1-127 letters, digits, '-')",
}
"""What each grammar allows, in words, for error messages."""
