"""systemd units: the non-Kubernetes way to run a site.

The router runs from the bundle's OCI image unpacked on the host (``umoci unpack``) with
``RootDirectory=``, so no container engine is needed for it; model servers run their
pinned images under podman, with the GPU passed in through CDI (``nvidia.com/gpu=all``,
generated on the host by ``nvidia-ctk cdi generate``; on a Jetson with ``--mode=csv``).
"""

from __future__ import annotations

import shlex

from edge_images.manifests import MODEL_DIR, ModelServer
from inferplane.packaging.router_image import APP_DIR, SITE_DIR
from router.contract import CONFIG_PATH, ROUTER_PORT

__all__ = ["ROUTER_ROOT", "ROUTER_UNIT", "model_server_unit", "router_unit", "unit_name"]

ROUTER_ROOT = "/var/lib/inferplane/router"
"""Where install.sh unpacks the router image (``rootfs/`` below it)."""
ROUTER_UNIT = "inferplane-router.service"
HOST_CONFIG = "/etc/inferplane/router.json"


def unit_name(server: ModelServer) -> str:
    return f"inferplane-model-{server.name}.service"


def router_unit(python: str, model_units: list[str]) -> str:
    """The router, chrooted into its unpacked image, as an unprivileged dynamic user."""
    after = " ".join(["network-online.target", *model_units])
    return f"""\
[Unit]
Description=inferplane router (OpenAI-compatible gateway for this site)
Documentation=file:///usr/share/doc/inferplane/edge-images.md
Wants=network-online.target {" ".join(model_units)}
After={after}

[Service]
Type=exec
RootDirectory={ROUTER_ROOT}/rootfs
BindReadOnlyPaths={HOST_CONFIG}:{CONFIG_PATH}
BindReadOnlyPaths=/etc/resolv.conf
Environment=PYTHONPATH={APP_DIR}:{SITE_DIR}
Environment=PYTHONDONTWRITEBYTECODE=1
Environment=PYTHONUNBUFFERED=1
Environment=HOME=/tmp
ExecStart={python} -m router --config {CONFIG_PATH} --host 0.0.0.0 --port {ROUTER_PORT}
DynamicUser=yes
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
"""


def model_server_unit(server: ModelServer, host_port: int, gpu: bool) -> str:
    """One model server under podman, published on loopback only (the router is the
    site's only door)."""
    name = server.name
    cmd = server.command
    run = [
        "/usr/bin/podman",
        "run",
        "--rm",
        "--replace",
        f"--name=inferplane-{name}",
        f"--publish=127.0.0.1:{host_port}:{cmd.port}",
        f"--volume={MODEL_DIR}:/models:ro",
        *(["--device=nvidia.com/gpu=all"] if gpu else []),
        *[f"--env={k}={v}" for k, v in sorted(cmd.env.items())],
        server.image,
        *cmd.args,
    ]
    return f"""\
[Unit]
Description=inferplane model server {name}
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
ExecStart={shlex.join(run)}
ExecStop=/usr/bin/podman stop --time=20 inferplane-{name}
TimeoutStartSec=900
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""
