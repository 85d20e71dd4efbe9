"""What every verify check gets: spec, outputs, AWS clients and how to call the router."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inferplane.preflight.aws import AwsClients, call
from inferplane.spec import StackSpec
from inferplane.verify.outputs import StackOutputs

__all__ = ["RouterAccess", "VerifyContext"]


@dataclass(frozen=True)
class RouterAccess:
    """How verify reaches the router."""

    api_key: str | None = None
    """Sent as ``Authorization: Bearer`` (or ``api-key`` when the request is SigV4-signed)."""
    sign_region: str | None = None
    """Sign requests with SigV4 for this region (a Lambda function URL with IAM auth)."""
    model: str | None = None
    """The ``model`` of the test chat request; defaults to the catch-all route's first target."""
    timeout_s: float = 60.0


@dataclass
class VerifyContext:
    spec: StackSpec
    outputs: StackOutputs
    clients: AwsClients
    router: RouterAccess

    def aws(self, service: str, region: str, method: str, **kwargs: Any) -> Any:
        return call(self.clients.client(service, region), method, **kwargs)
