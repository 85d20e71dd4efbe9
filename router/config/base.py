"""The base of every config model (frozen, unknown keys refused) and ``SecretRef``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Model", "SecretRef"]


class Model(BaseModel):
    """Frozen; a key the schema does not know is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(Model):
    """Where a secret lives; the router resolves it at start-up with its own identity."""

    store: Literal["env", "aws_secretsmanager", "gcp_secretmanager", "azure_keyvault", "k8s"]
    name: str
    key: str | None = None
