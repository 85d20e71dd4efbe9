"""Apple silicon (profile ``apple-m``): no containers. llama.cpp or Ollama come from
Homebrew and use Metal; the router runs from a virtualenv built offline from the bundle's
macOS wheels. Both run as launchd daemons (plists written by ``plistlib``, keys sorted).
"""

from __future__ import annotations

import plistlib
from dataclasses import dataclass

from inferplane.components.edge.layout import SITE_TLS_CERT, SITE_TLS_KEY, SitePaths
from inferplane.edge_images.profiles import EngineImage
from inferplane.router.contract import ROUTER_PORT
from inferplane.serving import EngineCommand

__all__ = ["MAC_ROOT", "MacServer", "model_server_plist", "router_plist", "server_label"]

MAC_ROOT = SitePaths().mac_root
ROUTER_LABEL = "io.inferplane.router"


@dataclass(frozen=True)
class MacServer:
    name: str
    engine: str
    native: EngineImage
    command: EngineCommand
    port: int


def server_label(name: str) -> str:
    return f"io.inferplane.model.{name}"


def _plist(label: str, args: list[str], env: dict[str, str], log: str) -> bytes:
    return plistlib.dumps(
        {
            "Label": label,
            "ProgramArguments": args,
            "EnvironmentVariables": env,
            "RunAtLoad": True,
            "KeepAlive": True,
            "UserName": "nobody",
            "StandardOutPath": f"{MAC_ROOT}/log/{log}.log",
            "StandardErrorPath": f"{MAC_ROOT}/log/{log}.log",
        },
        sort_keys=True,
    )


def model_server_plist(server: MacServer) -> bytes:
    """llama-server on loopback with the container paths mapped to ``MAC_ROOT/models``;
    Ollama's own server with OLLAMA_HOST on loopback."""
    binary = str(server.native.binary)
    if server.engine == "ollama":
        args = [binary, "serve"]
        env = {"OLLAMA_HOST": f"127.0.0.1:{server.port}", "OLLAMA_MODELS": f"{MAC_ROOT}/models"}
    else:
        args = [binary, *_native_args(server.command.args, server.port)]
        env = {}
    return _plist(server_label(server.name), args, env, f"model-{server.name}")


def _native_args(args: tuple[str, ...], port: int) -> list[str]:
    out = []
    previous = ""
    for arg in args:
        if previous == "--host":
            value = "127.0.0.1"
        elif previous == "--port":
            value = str(port)
        elif arg.startswith("/models/"):
            value = f"{MAC_ROOT}/models/{arg.removeprefix('/models/')}"
        else:
            value = arg
        out.append(value)
        previous = arg
    return out


def router_plist() -> bytes:
    args = [
        f"{MAC_ROOT}/venv/bin/python",
        "-m",
        "router",
        "--config",
        f"{MAC_ROOT}/router.json",
        "--host",
        "0.0.0.0",
        "--port",
        str(ROUTER_PORT),
        "--tls-cert",
        SITE_TLS_CERT,
        "--tls-key",
        SITE_TLS_KEY,
    ]
    env = {"PYTHONPATH": f"{MAC_ROOT}/app", "PYTHONDONTWRITEBYTECODE": "1"}
    return _plist(ROUTER_LABEL, args, env, "router")
