"""A Lambda function URL with ``AWS_IAM`` auth in front of an OpenAI-compatible handler
(the ``lambda`` target kind): the same protocol as ``openai``, every request signed with
SigV4 for service ``lambda`` using the router's own AWS identity."""

from __future__ import annotations

from typing import Any

from router.backends.base import BackendContext
from router.backends.openai_compat import OpenAICompatBackend
from router.config import TargetConfig

__all__ = ["LambdaUrlBackend"]


class LambdaUrlBackend(OpenAICompatBackend):
    kind = "lambda_url"

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        super().__init__(name, target, context)
        if target.region is None:
            raise ValueError(f"target {name!r}: backend 'lambda_url' needs the function's region")
        self.region = target.region
        self._credentials: Any = None

    def request_headers(self, data: bytes) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method="POST", url=self.url, data=data, headers=self.headers)
        SigV4Auth(self._frozen_credentials(), "lambda", self.region).add_auth(request)
        return dict(request.headers.items())

    def _frozen_credentials(self) -> Any:
        if self._credentials is None:
            import botocore.session

            self._credentials = botocore.session.get_session().get_credentials()
            if self._credentials is None:
                raise ValueError(f"target {self.name!r}: no AWS credentials to sign requests")
        # Refreshable credentials (the function's role) renew themselves here.
        return self._credentials.get_frozen_credentials()
