"""Resolving ``SecretRef`` values at start-up, with the router's own identity.

Supported stores: ``env`` (an environment variable), ``k8s`` (a mounted secret file at
``name``) and ``aws_secretsmanager`` (boto3, imported only when used). A ``key`` picks one
field out of a JSON secret. GCP Secret Manager and Azure Key Vault are not wired yet: the
platforms that use them can mount the secret (``k8s``) or expose it as ``env``.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from router.config import SecretRef
from router.errors import ConfigError

__all__ = ["resolve_secret"]


def resolve_secret(ref: SecretRef) -> str:
    raw = _read(ref)
    if ref.key is None:
        return raw
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"secret {ref.store}:{ref.name} is not JSON; cannot pick key") from exc
    value = document.get(ref.key) if isinstance(document, dict) else None
    if not isinstance(value, str):
        raise ConfigError(f"secret {ref.store}:{ref.name} has no string field {ref.key!r}")
    return value


def _read(ref: SecretRef) -> str:
    if ref.store == "env":
        value = os.environ.get(ref.name)
        if value is None:
            raise ConfigError(f"secret env:{ref.name} is not set")
        return value
    if ref.store == "k8s":
        try:
            return Path(ref.name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"secret k8s:{ref.name} cannot be read: {exc}") from exc
    if ref.store == "aws_secretsmanager":
        return _aws_secret(ref.name)
    raise ConfigError(
        f"secret store {ref.store!r} is not supported by the router yet; "
        "supported: env, k8s, aws_secretsmanager"
    )


def _aws_secret(name: str) -> str:
    import boto3
    import botocore.exceptions

    try:
        response = boto3.client("secretsmanager").get_secret_value(SecretId=name)
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"secret aws_secretsmanager:{name}: {exc}") from exc
    except botocore.exceptions.ClientError as exc:
        raise ConfigError(f"secret aws_secretsmanager:{name}: {exc}") from exc
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise ConfigError(f"secret aws_secretsmanager:{name} has no SecretString")
    return value
