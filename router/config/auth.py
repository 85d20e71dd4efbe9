"""``TargetAuth``: how the router proves who it is to one target."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from .base import Model, SecretRef

__all__ = ["AuthScheme", "Federation", "TargetAuth"]

AuthScheme = Literal[
    "none", "sigv4", "azure_entra", "google_access_token", "google_id_token", "api_key"
]
"""How the router proves who it is to a target (docs/wiring.md has the table)."""

Federation = Literal["native", "google"]
"""Where the router's own identity comes from when it calls another cloud: ``native`` (the
platform's identity in the target's own cloud) or ``google`` (a Google-signed ID token of the
router's service account, exchanged for the target cloud's credentials)."""


class TargetAuth(Model):
    """How the router authenticates to one target. Credentials are minted and refreshed by
    the router's credential provider for ``scheme``, off the request path; none is stored
    here, only where they come from.

    ========================  =====================================================
    scheme                    what the router sends
    ========================  =====================================================
    ``none``                  nothing (local upstreams; refused by policy in a stack)
    ``sigv4``                 AWS Signature V4 for ``service`` (bedrock, sagemaker,
                              lambda); with ``federation: google`` the credentials
                              come from ``sts:AssumeRoleWithWebIdentity`` on
                              ``role_arn`` with a Google ID token
    ``azure_entra``           ``Authorization: Bearer`` Entra token for ``scope``
                              (managed identity; with ``federation: google`` a
                              client-assertion exchange for ``client_id``/``tenant_id``)
    ``google_access_token``   ``Authorization: Bearer`` OAuth access token (metadata
                              server), e.g. Vertex AI
    ``google_id_token``       ``Authorization: Bearer`` ID token for ``audience``,
                              e.g. a Cloud Run service with IAM invoker auth
    ``api_key``               the key from ``secret`` in ``header``; ``authorization``
                              sends ``Bearer <key>``
    ========================  =====================================================
    """

    scheme: AuthScheme = "none"
    service: str | None = None
    """sigv4: the signing service name (``bedrock``, ``sagemaker``, ``lambda``)."""
    scope: str | None = None
    """azure_entra: token scope, e.g. ``https://cognitiveservices.azure.com/.default``."""
    audience: str | None = None
    """google_id_token: the audience, e.g. the Cloud Run service URL. sigv4 with
    ``federation: google``: the audience of the Google ID token given to STS (default
    ``sts.amazonaws.com``)."""
    secret: SecretRef | None = None
    """api_key: where the key lives."""
    header: str = "authorization"
    """api_key: the header that carries it (``authorization``, ``api-key``, ``x-api-key``).
    Left at ``authorization``, Anthropic and Azure OpenAI targets use their own key header
    (``x-api-key``, ``api-key``), the only one those APIs accept for keys."""
    federation: Federation = "native"
    role_arn: str | None = None
    """sigv4 with ``federation: google``: the AWS role to assume with web identity."""
    client_id: str | None = None
    """azure_entra: the user-assigned managed identity (client ID) to act as."""
    tenant_id: str | None = None
    """azure_entra with ``federation: google``: the Entra tenant of ``client_id``."""
    ca: SecretRef | None = None
    """PEM CA bundle that signs the target's TLS certificate (edge sites' own CA)."""

    @model_validator(mode="after")
    def _scheme_fields(self) -> TargetAuth:
        needs = _AUTH_NEEDS.get(self.scheme, ())
        if self.federation == "google":
            if self.scheme not in _FEDERATED_NEEDS:
                raise ValueError(f"federation 'google' does not apply to scheme {self.scheme!r}")
            needs += _FEDERATED_NEEDS[self.scheme]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth scheme {self.scheme!r} needs {', '.join(missing)}")
        return self


_AUTH_NEEDS: dict[str, tuple[str, ...]] = {
    "sigv4": ("service",),
    "azure_entra": ("scope",),
    "google_id_token": ("audience",),
    "api_key": ("secret",),
}
_FEDERATED_NEEDS: dict[str, tuple[str, ...]] = {
    "sigv4": ("role_arn",),
    "azure_entra": ("client_id", "tenant_id"),
}
