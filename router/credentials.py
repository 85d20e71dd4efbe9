"""Resolving ``SecretRef`` values at start-up, with the router's own identity.

Stores: ``env`` (an environment variable), ``k8s`` (a mounted secret file at ``name``),
``aws_secretsmanager`` (boto3, imported only when used), ``gcp_secretmanager`` (``name`` =
``projects/P/secrets/S`` or ``.../versions/V``; REST with the metadata server's access
token) and ``azure_keyvault`` (``name`` = ``VAULT/SECRET`` or ``VAULT/SECRET/VERSION``; REST
with a managed-identity token for ``https://vault.azure.net``, ``AZURE_CLIENT_ID`` picks a
user-assigned identity). A ``key`` picks one field out of a JSON secret. The REST
endpoints can be moved (tests, sovereign clouds) with ``INFERPLANE_SECRETMANAGER_URL`` and
``INFERPLANE_KEYVAULT_URL`` (a template with ``{vault}``).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import orjson

from .config import SecretRef
from .errors import ConfigError

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
    if ref.store == "gcp_secretmanager":
        return _gcp_secret(ref.name)
    if ref.store == "azure_keyvault":
        return _azure_secret(ref.name)
    raise ConfigError(
        f"secret store {ref.store!r} is not supported; "
        "supported: env, k8s, aws_secretsmanager, gcp_secretmanager, azure_keyvault"
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


SECRETMANAGER_URL = "https://secretmanager.googleapis.com"
KEYVAULT_URL = "https://{vault}.vault.azure.net"
KEYVAULT_SCOPE = "https://vault.azure.net/.default"
_SAFE = "/-_.~"
_VAULT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]")  # Azure's rule for vaults


def _gcp_secret(name: str) -> str:
    from .target_auth.fetch import IssuerError, get_json
    from .target_auth.google import mint_access_token

    parts = name.split("/")
    if len(parts) not in (4, 6) or parts[0] != "projects" or parts[2] != "secrets":
        raise ConfigError(
            f"secret gcp_secretmanager:{name}: name must be projects/P/secrets/S "
            "or projects/P/secrets/S/versions/V"
        )
    version = name if len(parts) == 6 else name + "/versions/latest"
    base = os.environ.get("INFERPLANE_SECRETMANAGER_URL") or SECRETMANAGER_URL
    url = f"{base.rstrip('/')}/v1/{urllib.parse.quote(version, safe=_SAFE)}:access"
    try:
        token = mint_access_token(time.time).value
        answer: Any = get_json(url, {"authorization": "Bearer " + token})
        data = answer["payload"]["data"]
        return base64.b64decode(data, validate=True).decode()
    except IssuerError as exc:
        raise ConfigError(f"secret gcp_secretmanager:{name}: {exc}") from exc
    except (KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"secret gcp_secretmanager:{name}: no payload in the answer") from exc


def _azure_secret(name: str) -> str:
    from .target_auth.azure import mint_managed_identity_token
    from .target_auth.fetch import IssuerError, get_json

    parts = name.split("/")
    if len(parts) not in (2, 3) or not all(parts) or not _VAULT_NAME.fullmatch(parts[0]):
        raise ConfigError(
            f"secret azure_keyvault:{name}: name must be VAULT/SECRET or VAULT/SECRET/VERSION "
            "(VAULT: 3-24 letters, digits and hyphens)"
        )
    vault, path = parts[0], "/".join(urllib.parse.quote(p, safe="") for p in parts[1:])
    base = (os.environ.get("INFERPLANE_KEYVAULT_URL") or KEYVAULT_URL).format(vault=vault)
    url = f"{base.rstrip('/')}/secrets/{path}?api-version=7.4"
    client_id = os.environ.get("AZURE_CLIENT_ID")
    try:
        token = mint_managed_identity_token(KEYVAULT_SCOPE, client_id, time.time).value
        value = get_json(url, {"authorization": "Bearer " + token}).get("value")
    except (IssuerError, AttributeError) as exc:
        raise ConfigError(f"secret azure_keyvault:{name}: {exc}") from exc
    if not isinstance(value, str):
        raise ConfigError(f"secret azure_keyvault:{name}: no value in the answer")
    return value
