"""A Lambda function URL with ``AWS_IAM`` auth in front of an OpenAI-compatible handler
(the ``lambda`` target kind): the same protocol as ``openai``, every request signed with
SigV4 by the target's credentials. A target without ``auth`` is signed for service
``lambda`` with the router's own AWS identity (a function URL with ``AWS_IAM`` auth
refuses anything else)."""

from __future__ import annotations

from ..config import TargetAuth, TargetConfig
from .base import BackendContext
from .openai_compat import OpenAICompatBackend

__all__ = ["LambdaUrlBackend"]

DEFAULT_AUTH = TargetAuth(scheme="sigv4", service="lambda")


class LambdaUrlBackend(OpenAICompatBackend):
    kind = "lambda_url"

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        if target.region is None:
            raise ValueError(f"target {name!r}: backend 'lambda_url' needs the function's region")
        if target.auth.scheme == "none":
            target = target.model_copy(update={"auth": DEFAULT_AUTH})
        super().__init__(name, target, context)
