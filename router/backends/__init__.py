"""Backend adapters by config name; each imported only when a target uses it."""

from __future__ import annotations

import importlib

from ..config import TargetConfig
from .base import BackendContext, ChatBackend, Completion, Usage

__all__ = ["BACKENDS", "BackendContext", "ChatBackend", "Completion", "Usage", "build_backend"]

BACKENDS: dict[str, str] = {
    "openai": ".openai_compat:OpenAICompatBackend",
    "lambda_url": ".lambda_url:LambdaUrlBackend",
    "azure_openai": ".azure_openai:AzureOpenAIBackend",
    "anthropic": ".anthropic:AnthropicBackend",
    "vertex": ".vertex:VertexBackend",
    "bedrock": ".bedrock:BedrockBackend",
    "sagemaker": ".sagemaker:SageMakerBackend",
}

_SELF_HOSTED = ".selfhosted:SelfHostedBackend"


def build_backend(name: str, target: TargetConfig, context: BackendContext) -> ChatBackend:
    path = BACKENDS[target.backend]
    if target.cold is not None or target.replicas is not None:
        path = _SELF_HOSTED  # scale to zero, replicas addressed one by one
    module_name, _, class_name = path.partition(":")
    # Relative names (".bedrock"): the router runs as inferplane.router and as the
    # top-level router of the Lambda zip and the OCI image.
    cls = getattr(importlib.import_module(module_name, __package__), class_name)
    backend = cls(name, target, context)
    assert isinstance(backend, ChatBackend)
    return backend
