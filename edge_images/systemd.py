"""systemd units: the non-Kubernetes way to run a site.

The router runs from the bundle's OCI image unpacked on the host (``umoci unpack``) with
``RootDirectory=``, so no container engine is needed for it; model servers run their
pinned images under podman, with the GPU passed in through CDI (``nvidia.com/gpu=all``,
generated on the host by ``nvidia-ctk cdi generate``; on a Jetson with ``--mode=csv``).
"""

from __future__ import annotations

import shlex

from inferplane.components.edge.layout import SITE_TLS_CERT, SITE_TLS_KEY, SitePaths
from inferplane.edge_images.manifests import MODEL_DIR, ModelServer
from inferplane.packaging.router_image import APP_DIR, SITE_DIR
from inferplane.router.contract import CONFIG_PATH, ROUTER_PORT

__all__ = ["ROUTER_ROOT", "ROUTER_UNIT", "model_server_unit", "router_unit", "unit_name"]

ROUTER_ROOT = SitePaths().router_root
"""Where the installers unpack the router image (``rootfs/`` below it)."""
ROUTER_UNIT = "inferplane-router.service"
HOST_CONFIG = SitePaths().router_config


def unit_name(server: ModelServer) -> str:
    return f"inferplane-model-{server.name}.service"


def router_unit(python: str, model_units: list[str]) -> str:
    """The router, chrooted into its unpacked image, as an unprivileged dynamic user,
    serving HTTPS with the site's certificate (required: no certificate, no router)."""
    after = " ".join(["network-online.target", *model_units])
    return f"""\
[Unit]
Description=inferplane router (OpenAI-compatible gateway for this site)
Documentation=file://{SitePaths().doc}
Wants=network-online.target {" ".join(model_units)}
After={after}

[Service]
Type=exec
RootDirectory={ROUTER_ROOT}/rootfs
BindReadOnlyPaths={HOST_CONFIG}:{CONFIG_PATH}
BindReadOnlyPaths=/etc/resolv.conf
# The site's TLS certificate and key (root-only files), handed to the dynamic user.
LoadCredential=tls.crt:{SITE_TLS_CERT}
LoadCredential=tls.key:{SITE_TLS_KEY}
Environment=PYTHONPATH={APP_DIR}:{SITE_DIR}
Environment=PYTHONDONTWRITEBYTECODE=1
Environment=PYTHONUNBUFFERED=1
Environment=HOME=/tmp
ExecStart={python} -m router --config {CONFIG_PATH} --host 0.0.0.0 --port {ROUTER_PORT} \\
    --tls-cert ${{CREDENTIALS_DIRECTORY}}/tls.crt --tls-key ${{CREDENTIALS_DIRECTORY}}/tls.key
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
        # Sites are offline: the installer loaded the pinned image; never pull.
        "--pull=never",
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
