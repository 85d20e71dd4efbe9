"""Azure OpenAI: OpenAI's API behind a deployment URL; an Entra token (``azure_entra``,
``Authorization: Bearer``) or, when ``auth.scheme`` is ``api_key``, the ``api-key`` header.

``target.url`` is the resource endpoint (``https://<resource>.openai.azure.com``),
``target.model`` the deployment name and ``target.api_version`` the ``api-version``.
"""

from __future__ import annotations

from .openai_compat import OpenAICompatBackend

__all__ = ["AzureOpenAIBackend"]

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIBackend(OpenAICompatBackend):
    kind = "azure_openai"
    key_header = "api-key"

    def endpoint_url(self, endpoint: str) -> str:
        version = self.target.api_version or DEFAULT_API_VERSION
        deployment = f"{self.base}/openai/deployments/{self.target.model}"
        return f"{deployment}/{endpoint}?api-version={version}"
