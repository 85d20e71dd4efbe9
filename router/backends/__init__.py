"""Backend adapters by config name; each imported only when a target uses it."""

from __future__ import annotations

import importlib

from router.backends.base import BackendContext, ChatBackend, Completion, Usage
from router.config import TargetConfig

__all__ = ["BACKENDS", "BackendContext", "ChatBackend", "Completion", "Usage", "build_backend"]

BACKENDS: dict[str, str] = {
    "openai": "router.backends.openai_compat:OpenAICompatBackend",
    "lambda_url": "router.backends.lambda_url:LambdaUrlBackend",
    "azure_openai": "router.backends.azure_openai:AzureOpenAIBackend",
    "anthropic": "router.backends.anthropic:AnthropicBackend",
    "vertex": "router.backends.vertex:VertexBackend",
    "bedrock": "router.backends.bedrock:BedrockBackend",
    "sagemaker": "router.backends.sagemaker:SageMakerBackend",
}

_SELF_HOSTED = "router.backends.selfhosted:SelfHostedBackend"


def build_backend(name: str, target: TargetConfig, context: BackendContext) -> ChatBackend:
    path = BACKENDS[target.backend]
    if target.cold is not None or target.replicas is not None:
        path = _SELF_HOSTED  # scale to zero, replicas addressed one by one
    module_name, _, class_name = path.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    backend = cls(name, target, context)
    assert isinstance(backend, ChatBackend)
    return backend
