"""What the router and the infrastructure that runs it must agree on, defined once.

The router reads its config from ``CONFIG_ENV`` (the RouterConfig JSON itself, or a path to
it) or from ``--config CONFIG_PATH`` in a container, and listens on ``ROUTER_PORT`` there.
The components that deploy it (``components/router/``), the edge bundle
(``edge_images``), the OCI image and the Lambda zip import these names instead of
repeating the values, so a change here moves every side at once.

Standard library only: the deployment side imports this module without the router's
run-time dependencies.
"""

from __future__ import annotations

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE",
    "CONFIG_PATH",
    "LAMBDA_RUN_SCRIPT",
    "METRICS_PORT",
    "ROUTER_PORT",
]

CONFIG_ENV = "INFERPLANE_ROUTER_CONFIG"
"""Environment variable holding the RouterConfig JSON (or a path to a file with it)."""
CONFIG_FILE = "router.json"
"""File name of the RouterConfig wherever it is a file (ConfigMap key, bundled config)."""
CONFIG_PATH = f"/etc/inferplane/{CONFIG_FILE}"
"""Where a containerised or site-installed router reads its config."""
ROUTER_PORT = 8088
"""Port a containerised or site-installed router listens on."""
METRICS_PORT = 9464
"""The operator listener of a router on Kubernetes (``admin.port``: ``/metrics`` without a
credential), opened only to the cluster's Prometheus by the NetworkPolicy, when a model
server scaled to zero needs the router's demand to wake it (``inferplane.spec.wake``)."""
LAMBDA_RUN_SCRIPT = "run.sh"
"""The Lambda zip's startup script (the function's handler under the Lambda Web Adapter
layer, ``components/aws/web_adapter.py``): it serves on ``AWS_LWA_PORT``."""
