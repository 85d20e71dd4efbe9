"""How the router's Lambda zip streams: the AWS Lambda Web Adapter runs the router's own
aiohttp server inside the function, behind a ``RESPONSE_STREAM`` function URL.

Lambda's managed Python runtime cannot stream a function-URL response, so a handler
(``lambda_entry.handler``) must buffer the whole answer: time to first token becomes the
whole answer's time. The adapter (github.com/awslabs/aws-lambda-web-adapter) is a Lambda
extension published as a layer. With ``AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`` the
runtime executes the layer's ``bootstrap`` instead of itself, which executes
``$LAMBDA_TASK_ROOT/$_HANDLER``: the function's handler is the zip's ``run.sh``
(``LAMBDA_RUN_SCRIPT``, written by ``inferplane.packaging.lambda_zip``), which starts
``python -m router`` on ``AWS_LWA_PORT``. The adapter waits
until ``AWS_LWA_READINESS_CHECK_PATH`` answers, then turns each invocation into an HTTP
request to that server and, with ``AWS_LWA_INVOKE_MODE=response_stream``, streams the
body back as the server writes it. The same server runs on every platform, unchanged.

The zip (the producer of ``run.sh``) and this side (the function's handler, layer and
environment) share the script's name and the port through ``inferplane.router.contract``.
"""

from __future__ import annotations

from typing import Literal

from inferplane.router.contract import LAMBDA_RUN_SCRIPT

__all__ = [
    "LAYER_REGIONS",
    "LAYER_SOURCE",
    "LAYER_VERSION",
    "RUN_SCRIPT",
    "WRAPPER",
    "adapter_environment",
    "layer_arn",
]

RUN_SCRIPT = LAMBDA_RUN_SCRIPT
"""The function's handler: the startup script at the root of the zip."""
WRAPPER = "/opt/bootstrap"
"""The layer's wrapper script (``AWS_LAMBDA_EXEC_WRAPPER``)."""

LAYER_VERSION = 26
LAYER_SOURCE = (
    "awslabs/aws-lambda-web-adapter docs/guide/src/getting-started/zip-packages.md "
    "(commit 1fcef19, read 2026-11-30): LambdaAdapterLayerX86:26 / LambdaAdapterLayerArm64:26"
)
"""Where the layer ARNs below come from, and when they were read."""

_COMMERCIAL = ("aws", "753240598075", ("x86_64", "arm64"))
_PUBLISHED = (
    *("af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3"),
    *("ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3"),
    *("ap-southeast-4", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2"),
    *("eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3"),
    *("il-central-1", "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2"),
    *("us-west-1", "us-west-2"),
)
LAYER_REGIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    **dict.fromkeys(_PUBLISHED, _COMMERCIAL),
    # The China regions have their own publisher accounts and no arm64 layer.
    "cn-north-1": ("aws-cn", "041581134020", ("x86_64",)),
    "cn-northwest-1": ("aws-cn", "069767869989", ("x86_64",)),
}
"""Region -> (partition, publishing account, architectures) of the adapter layer
(``LAYER_SOURCE``). A region missing here has no known layer: the router cannot stream
there, and the deployment says so instead of guessing an ARN."""

_LAYER_NAMES = {"x86_64": "LambdaAdapterLayerX86", "arm64": "LambdaAdapterLayerArm64"}


def layer_arn(region: str, architecture: Literal["x86_64", "arm64"]) -> str:
    """The adapter layer's ARN for a function in ``region`` on ``architecture``."""
    known = LAYER_REGIONS.get(region)
    if known is None:
        raise ValueError(
            f"region: no AWS Lambda Web Adapter layer is known for {region!r} "
            f"(the router streams through it); known: {', '.join(sorted(LAYER_REGIONS))}"
        )
    partition, account, architectures = known
    if architecture not in architectures:
        raise ValueError(
            f"architecture: the AWS Lambda Web Adapter layer in {region!r} is published for "
            f"{', '.join(architectures)} only, not {architecture!r}"
        )
    name = _LAYER_NAMES[architecture]
    return f"arn:{partition}:lambda:{region}:{account}:layer:{name}:{LAYER_VERSION}"


def adapter_environment(port: int, readiness_path: str) -> dict[str, str]:
    """The function's environment that makes the layer run ``RUN_SCRIPT``, wait until
    ``readiness_path`` on ``port`` answers 200, and stream."""
    return {
        "AWS_LAMBDA_EXEC_WRAPPER": WRAPPER,
        "AWS_LWA_INVOKE_MODE": "response_stream",
        "AWS_LWA_PORT": str(port),
        "AWS_LWA_READINESS_CHECK_PATH": readiness_path,
        # Only a started router is ready: the default (100-499) would take a 404 from
        # anything else listening on the port as ready.
        "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS": "200",
    }
