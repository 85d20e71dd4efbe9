"""Edge targets -> ``components.edge.EdgeSite``."""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.edge.bundle import Bundle, read_bundle
from components.edge.edge_site import EdgeSite, EdgeSiteArgs, SshAccess
from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import secret_config
from inferplane.errors import Issue, SpecError
from inferplane.spec.targets.selfhosted import EdgeTarget

__all__ = ["edge_site"]


def edge_site(name: str, target: EdgeTarget, ctx: DeployContext) -> EdgeSite:
    bundle = _bundle(name, target.bundle) if target.bundle is not None else None
    ssh, install_dir = None, "/opt/inferplane"
    if target.ssh is not None:
        key = secret_config(target.ssh.private_key, f"targets.{name}.ssh.private_key")
        ssh = SshAccess(key, target.ssh.host_key, target.ssh.user, target.ssh.port)
        install_dir = target.ssh.install_dir
    args = EdgeSiteArgs(
        site=target.site,
        # Without an address the site's name must resolve (site DNS or VPN).
        address=target.address or target.site,
        model=target.model,
        runtime=target.site_runtime,
        bundle=bundle,
        ssh=ssh,
        install_dir=install_dir,
        labels=ctx.labels(name),
    )
    return EdgeSite(name, args)


def _bundle(name: str, directory: str) -> Bundle:
    # Relative to where the program runs: Pulumi runs it in the project directory, and
    # `inferplane plan` from it. (get_root_directory is a placeholder under mocks.)
    try:
        return read_bundle(Path.cwd() / directory)
    except ValueError as exc:
        raise SpecError(
            [Issue(f"targets.{name}.bundle", str(exc), directory)], f"stack {pulumi.get_stack()}"
        ) from exc
