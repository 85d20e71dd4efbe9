"""Delivering a bundle to a site over SSH with pulumi-command: the seven commands
``EdgeSite`` runs, each a named step (see ``components.edge.edge_site`` for the order and
why), and the connection they share."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from inferplane.components.edge.bundle import Bundle
from inferplane.components.edge.health_gate import gate_script
from inferplane.components.edge.install import (
    SiteLayout,
    handover_script,
    install_script,
    tls_script,
    trust_script,
    uninstall_script,
)
from inferplane.components.shell import quote

if TYPE_CHECKING:
    from pulumi_command.remote import ConnectionArgs

    from inferplane.components.edge.edge_site import EdgeSiteArgs

__all__ = ["SiteTls", "SshAccess", "SshDelivery", "ssh_connection"]

Command = pulumi.CustomResource
ChildOptions = Callable[..., pulumi.ResourceOptions]


@dataclass(frozen=True)
class SiteTls:
    """The site's TLS files (PEM), from its secrets directory (``<bundle>.secrets``)."""

    cert: str
    key: pulumi.Input[str]
    """The private key: a Pulumi secret."""
    ca: str


@dataclass(frozen=True)
class SshAccess:
    """How pulumi-command reaches the site."""

    private_key: pulumi.Input[str]
    """The key's contents (a secret output from stack config)."""
    host_key: str
    """The site's public host key; the connection fails if the site presents another."""
    user: str = "inferplane"
    """Login user; anyone but root needs passwordless ``sudo``."""
    port: int = 22


def ssh_connection(address: str, ssh: SshAccess) -> ConnectionArgs:
    """The connection every command uses (pulumi-command records it as a secret whole)."""
    from pulumi_command import remote

    return remote.ConnectionArgs(
        host=address,
        port=float(ssh.port),
        user=ssh.user,
        private_key=ssh.private_key,
        host_key=ssh.host_key,
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SshDelivery:
    """The commands that put one bundle on one site, named ``<name>-<step>``."""

    def __init__(
        self, name: str, args: EdgeSiteArgs, ssh: SshAccess, bundle: Bundle, tls: SiteTls
    ) -> None:
        self.name, self.args, self.bundle, self.tls = name, args, bundle, tls
        self.connection = ssh_connection(args.address, ssh)
        self.user = ssh.user
        self.sudo = "" if ssh.user == "root" else "sudo -n "
        self.layout = SiteLayout(args.install_dir)
        # A reissued certificate re-runs the install (k3s rebuilds its TLS Secret from it).
        self.cert_sha = _sha256(tls.cert)
        self.triggers = [bundle.digest, self.cert_sha]

    def run(self, child: ChildOptions) -> dict[str, Command]:
        """Every step, in order; ``child`` makes a child resource's options."""
        prepare = self.prepare(child(depends_on=list(self.args.after)))
        tls = self.tls_files(child(depends_on=[prepare]))
        trust = self.trust(child(depends_on=[prepare]))
        copy = self.copy(child(depends_on=[prepare]))
        install = self.install(child(depends_on=[copy, tls, trust]))
        uninstall = self.uninstall(child(depends_on=[install]))
        gate = self.gate(child(depends_on=[install]))
        steps = {"prepare": prepare, "tls": tls, "trust": trust, "bundle": copy}
        return {**steps, "install": install, "gate": gate, "uninstall": uninstall}

    def _command(self, step: str, opts: pulumi.ResourceOptions, **more: Any) -> Command:
        from pulumi_command import remote

        name = f"{self.name}-{step}"
        return remote.Command(name, connection=self.connection, opts=opts, **more)

    def _script(self, step: str, opts: pulumi.ResourceOptions, **more: Any) -> Command:
        """A step that runs its script from stdin as root."""
        return self._command(step, opts, create=f"{self.sudo}bash -s", **more)

    def prepare(self, opts: pulumi.ResourceOptions) -> Command:
        """The upload directory. A fleet's later wave starts only once every site of the
        wave before is gated (``opts`` depends on ``after``)."""
        incoming = quote(f"{self.args.install_dir}/incoming")
        create = f"{self.sudo}install -d -m 0755 -o {quote(self.user)} {incoming}"
        return self._command("prepare", opts, create=create, triggers=self.triggers)

    def tls_files(self, opts: pulumi.ResourceOptions) -> Command:
        """The site's TLS files. The script carries the private key: a secret in state
        and in the preview."""
        tls, runtime, layout = self.tls, self.args.runtime, self.layout
        script: pulumi.Input[str] = pulumi.Output.from_input(tls.key).apply(
            lambda key: tls_script(runtime, tls.cert, key, tls.ca, layout)
        )
        stdin = pulumi.Output.secret(script)
        return self._script("tls", opts, stdin=stdin, triggers=[self.cert_sha])

    def trust(self, opts: pulumi.ResourceOptions) -> Command:
        """The release signer's keys, from the operator's own bundle, before install.sh
        verifies the signature (what the seed does on a hand install)."""
        keys = self.bundle.trusted_keys()
        triggers = [_sha256("".join(sorted(keys.values())))]
        return self._script("trust", opts, stdin=trust_script(keys, self.layout), triggers=triggers)

    def copy(self, opts: pulumi.ResourceOptions) -> Command:
        from pulumi_command import remote

        return remote.CopyToRemote(
            f"{self.name}-bundle",
            connection=self.connection,
            source=pulumi.FileArchive(str(self.bundle.directory)),
            remote_path=f"{self.args.install_dir}/incoming/{self.bundle.digest}",
            triggers=self.triggers,
            opts=opts,
        )

    def install(self, opts: pulumi.ResourceOptions) -> Command:
        return self._script("install", opts, stdin=self.install_script(), triggers=self.triggers)

    def uninstall(self, opts: pulumi.ResourceOptions) -> Command:
        """Removal is its own command (delete only): install's stdin would reinstall, and a
        new bundle must replace the install without uninstalling the site first."""
        script = uninstall_script(self.args.runtime, self.bundle.plan, self.layout)
        return self._command("uninstall", opts, delete=f"{self.sudo}bash -c " + shlex.quote(script))

    def gate(self, opts: pulumi.ResourceOptions) -> Command:
        stdin = gate_script(self.args.site, self.bundle.digest, self.args.port)
        return self._script("gate", opts, stdin=stdin, triggers=self.triggers)

    def install_script(self) -> str:
        args, bundle = self.args, self.bundle
        if args.runtime in ("k3s", "systemd"):
            # The bundle's installer: health gate and automatic rollback on this path too.
            return handover_script(
                args.runtime,
                bundle.digest,
                bundle.checksums(),
                layout=self.layout,
                wait_seconds=args.wait_seconds,
            )
        # launchd (apple-m): install-macos.sh has no releases to roll back to.
        health = f"https://127.0.0.1:{args.port}{args.health_path}"
        return install_script(
            args.runtime,
            bundle.digest,
            bundle.checksums(),
            health,
            bundle.plan,
            layout=self.layout,
            wait_seconds=args.wait_seconds,
        )
