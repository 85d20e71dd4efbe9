"""How the router authenticates to each target: one ``TargetCredentials`` class per
``TargetAuth.scheme``, chosen by name (``SCHEMES``), imported only when a target uses it.

    creds = build_credentials(name, target, CredentialOptions(...))
    await creds.start()                 # mint before the first request, refresh behind
    await creds.authorize(request)      # decorate one OutgoingRequest (memory only)
"""

from __future__ import annotations

import importlib

from ..config import TargetConfig
from .base import CredentialsUnavailableError, OutgoingRequest, TargetCredentials
from .options import CredentialOptions
from .tls import ca_context

__all__ = [
    "SCHEMES",
    "CredentialOptions",
    "CredentialsUnavailableError",
    "OutgoingRequest",
    "TargetCredentials",
    "build_credentials",
]

SCHEMES: dict[str, str] = {
    "none": ".keys:NoAuth",
    "api_key": ".keys:ApiKey",
    "sigv4": ".aws:SigV4",
    "azure_entra": ".azure:AzureEntra",
    "google_access_token": ".google:GoogleAccessToken",
    "google_id_token": ".google:GoogleIdToken",
}


def build_credentials(
    name: str, target: TargetConfig, options: CredentialOptions
) -> TargetCredentials:
    module_name, _, class_name = SCHEMES[target.auth.scheme].partition(":")
    # Relative names (".bedrock"): the router runs as inferplane.router and as the
    # top-level router of the Lambda zip and the OCI image.
    cls = getattr(importlib.import_module(module_name, __package__), class_name)
    credentials = cls(name, target, options)
    assert isinstance(credentials, TargetCredentials)
    if target.auth.ca is not None:
        credentials.ssl = ca_context(name, target.auth.ca, options.resolve_secret)
    return credentials
