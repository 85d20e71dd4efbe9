"""EdgeSite: an edge bundle (``inferplane edge build``) deployed to an on-premises site over
SSH with pulumi-command, and the endpoint the stack's router calls there.

Six commands, in order: ``prepare`` makes the upload directory (``sudo``), ``tls``
writes the site's certificate, key and CA to ``/etc/inferplane/tls`` (from the site's
secrets directory, sent as a Pulumi secret: the key is never in the bundle), ``trust``
adds the release signer's public keys (``trust/*.pub`` of the operator's bundle) to the
site's trusted keys so the bundle's install.sh can verify the signature, ``bundle``
copies the bundle to ``<install_dir>/incoming/<digest>``, ``install`` verifies every
file's sha256 on the site and hands the release to the bundle's own ``install.sh``
(k3s, systemd: health-gated with automatic rollback, ``components.edge.install.
handover_script``; launchd: installed directly), and ``gate`` checks the result
(``components.edge.health_gate``: the release is live and ``/readyz`` answers). The
bundle's digest is in every command's ``triggers``, so a changed bundle replaces them all:
copy, verify, install, gate again. ``after`` (a fleet's previous wave's gates) holds back
``prepare``, and with it the whole site. Without SSH (the site operator installs bundles
by hand) only the endpoint is published.

The endpoint is closed: HTTPS with the site's own CA, and an API key (``auth`` names
where the stack's router reads both; ``reach`` says how it gets to the site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from inferplane.components.base import EndpointInfo, Labels, TargetComponent
from inferplane.components.edge.bundle import Bundle
from inferplane.components.edge.install import Runtime
from inferplane.components.edge.ssh_delivery import SiteTls, SshAccess, SshDelivery, ssh_connection
from inferplane.router.contract import ROUTER_PORT

__all__ = [
    "SITE_ROUTER_PORT",
    "EdgeSite",
    "EdgeSiteArgs",
    "SiteTls",
    "SshAccess",
    "ssh_connection",
]

SITE_ROUTER_PORT = ROUTER_PORT
"""Port of the site's own router (the edge image's ``ROUTER_PORT``): the stack's router
calls the site's router, which alone may reach the site's model server."""
_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^[0-9A-Fa-f:]+$")
_HOST_KEY = re.compile(r"^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+")
_SITE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")
_PEM = re.compile(r"^-----BEGIN [A-Z0-9 ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z0-9 ]+-----\n?$")
Via = Literal["internet", "tunnel", "lan"]


@dataclass(frozen=True)
class EdgeSiteArgs:
    site: str
    """Site name (residency ``edge:<site>``)."""
    address: str
    """Host name or IP the stack's router and SSH reach the site at."""
    model: str
    """Model the site serves (the name its router answers to)."""
    runtime: Runtime
    """What runs the bundle on the site: k3s, systemd or launchd (apple-m)."""
    bundle: Bundle | None = None
    """The built bundle; required with ``ssh``."""
    ssh: SshAccess | None = None
    """Deploy over SSH; ``None`` when the site operator installs bundles by hand."""
    port: int = SITE_ROUTER_PORT
    """Port of the site's OpenAI-compatible API."""
    health_path: str = "/healthz"
    """What the launchd install waits for (k3s and systemd: the bundle's install.sh gate)."""
    install_dir: str = "/opt/inferplane"
    wait_seconds: int = 900
    """How long the install waits for the site's health URL after installing."""
    labels: Labels | None = None
    """Recorded as the component's ``labels`` output (commands carry no tags)."""
    key_secret: dict[str, Any] | None = None
    """Where the stack's router reads the site's API key (``router.config.SecretRef``
    fields); required: the site's router refuses calls without it."""
    ca_secret: dict[str, Any] | None = None
    """Where the stack's router reads the site CA that signs the site's certificate."""
    via: Via = "lan"
    """How the stack's router reaches the site (``components.wiring.Reach.via``)."""
    tls: SiteTls | None = None
    """The site's certificate and key; required with ``ssh`` (the router needs them)."""
    wave: int = 1
    """The fleet rollout wave this site belongs to (1 for a single site)."""
    after: tuple[pulumi.Resource, ...] = ()
    """Resources the site's deployment waits for: the previous wave's health gates."""


class EdgeSite(TargetComponent):
    """An edge site's deployment and endpoint."""

    bundle_digest: pulumi.Output[str | None]
    """sha256 of the bundle's manifest.json, or None when nothing is deployed."""

    def __init__(
        self, name: str, args: EdgeSiteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:edge:EdgeSite", name, None, opts)
        host = f"[{args.address}]" if ":" in args.address else args.address
        self.commands: dict[str, pulumi.CustomResource] = {}
        self.gate: pulumi.CustomResource | None = None
        if args.ssh is not None and args.bundle is not None:
            self._deploy(name, args, args.ssh, args.bundle)
        digest = args.bundle.digest if args.bundle is not None else None
        self.bundle_digest = pulumi.Output.from_input(digest)
        self.status = pulumi.Output.from_input(self._status(args, digest))
        endpoint: EndpointInfo = {
            "backend": "openai",
            "model": args.model,
            "url": f"https://{host}:{args.port}/v1",
            "auth": {"scheme": "api_key", "secret": args.key_secret, "ca": args.ca_secret},
            "reach": {"path": "edge", "network": args.site, "via": args.via},
            "grants": [],
        }
        self.endpoint = pulumi.Output.from_input(endpoint)
        self.register_target_outputs(
            site=args.site,
            bundle_digest=self.bundle_digest,
            status=self.status,
            labels=args.labels.tags() if args.labels else {},
        )

    def _status(self, args: EdgeSiteArgs, digest: str | None) -> pulumi.Input[dict[str, Any]]:
        """Per-site status: wave, the release it should run, and the health gate's report
        (the installer's status lines), or how the site is installed without one."""
        base: dict[str, Any] = {"site": args.site, "wave": args.wave, "release": digest}
        if self.gate is None:
            return {**base, "health": "not gated: installed by the site operator"}
        stdout: pulumi.Output[str] = self.gate.stdout  # type: ignore[attr-defined]
        return stdout.apply(lambda out: {**base, "health": out})

    def _deploy(self, name: str, args: EdgeSiteArgs, ssh: SshAccess, bundle: Bundle) -> None:
        tls = args.tls
        assert tls is not None  # _check
        self.commands = SshDelivery(name, args, ssh, bundle, tls).run(self.child)
        self.gate = self.commands["gate"]


def _check(args: EdgeSiteArgs) -> None:
    """ValueError naming the first bad argument; nothing is created then."""
    _check_site(args)
    _check_secret_refs(args)
    if args.ssh is not None:
        _check_delivery(args, args.ssh)


def _check_site(args: EdgeSiteArgs) -> None:
    if not _SITE.match(args.site):
        raise ValueError(
            f"site {args.site!r} is not a site name; allowed: 2-40 lowercase letters, digits "
            "or '-', starting with a letter"
        )
    if not _HOST.match(args.address):
        raise ValueError(f"address {args.address!r} is not a host name or IP address")
    if not 1 <= args.port <= 65535:
        raise ValueError(f"port {args.port} is out of range; allowed: 1..65535")
    if args.runtime not in ("k3s", "systemd", "launchd"):
        raise ValueError(f"runtime {args.runtime!r} is unknown; allowed: k3s, systemd, launchd")
    if not args.health_path.startswith("/"):
        raise ValueError(f"health_path {args.health_path!r} must start with '/'")
    if not 1 <= args.wave <= 1000:
        raise ValueError(f"wave {args.wave} is out of range; allowed: 1..1000")
    if not _PATH.match(args.install_dir):
        raise ValueError(f"install_dir {args.install_dir!r} is not an absolute plain path")


def _check_secret_refs(args: EdgeSiteArgs) -> None:
    for field_name in ("key_secret", "ca_secret"):
        ref = getattr(args, field_name)
        if not isinstance(ref, dict) or not ref.get("store") or not ref.get("name"):
            raise ValueError(
                f"{field_name} {ref!r} is not a secret reference; the site's router serves "
                "only HTTPS with an API key: give {store, name} where the stack's router "
                "reads it"
            )
    if args.via not in ("internet", "tunnel", "lan"):
        raise ValueError(f"via {args.via!r} is unknown; allowed: internet, tunnel, lan")


def _check_delivery(args: EdgeSiteArgs, ssh: SshAccess) -> None:
    if args.bundle is None:
        raise ValueError("ssh deployment needs bundle (from `inferplane edge build`)")
    if args.runtime in ("k3s", "systemd") and not args.bundle.trusted_keys():
        raise ValueError(
            f"bundle {args.bundle.directory} is unsigned (no trust/*.pub): the site's "
            "install.sh refuses unsigned bundles; build it with `inferplane edge build "
            "--signing-key KEY` (a key from `inferplane edge keygen`)"
        )
    if args.tls is None:
        raise ValueError(
            "ssh deployment needs tls (the site's certificate and key from the bundle's "
            "secrets directory, written by `inferplane edge build`)"
        )
    for part in ("cert", "ca"):
        if not _PEM.match(getattr(args.tls, part)):
            raise ValueError(f"tls.{part} is not one PEM block")
    _check_ssh(ssh)


def _check_ssh(ssh: SshAccess) -> None:
    if not _HOST_KEY.match(ssh.host_key):
        raise ValueError(
            f"ssh.host_key {ssh.host_key[:24]!r}... is not a public host key; allowed: "
            "'ssh-ed25519 AAAA...', 'ecdsa-sha2-nistp256 AAAA...' or 'ssh-rsa AAAA...'"
        )
    if not _USER.match(ssh.user):
        raise ValueError(f"ssh.user {ssh.user!r} is not a user name")
    if not 1 <= ssh.port <= 65535:
        raise ValueError(f"ssh.port {ssh.port} is out of range; allowed: 1..65535")
