"""Edge targets -> ``components.edge.EdgeSite``."""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.edge.bundle import Bundle, read_bundle
from components.edge.edge_site import EdgeSite, EdgeSiteArgs, SiteTls, SshAccess
from components.edge.layout import SECRETS_CA, SECRETS_CERT, SECRETS_KEY, secrets_dir
from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import secret_config
from inferplane.errors import Issue, SpecError
from inferplane.spec.targets.selfhosted import EdgeTarget

__all__ = ["edge_site"]


def edge_site(name: str, target: EdgeTarget, ctx: DeployContext) -> EdgeSite:
    bundle = _bundle(name, target.bundle) if target.bundle is not None else None
    if bundle is not None and not _runs(bundle, target.site_runtime):
        raise SpecError(
            [
                Issue(
                    f"targets.{name}.bundle",
                    f"the bundle has no {target.site_runtime} install (built for another "
                    f"profile); rebuild it with `inferplane edge build --site {target.site}`",
                    target.bundle,
                )
            ],
            f"stack {pulumi.get_stack()}",
        )
    ssh, install_dir, tls = None, "/opt/inferplane", None
    if target.ssh is not None:
        key = secret_config(target.ssh.private_key, f"targets.{name}.ssh.private_key")
        ssh = SshAccess(key, target.ssh.host_key, target.ssh.user, target.ssh.port)
        install_dir = target.ssh.install_dir
        tls = _site_tls(name, str(target.bundle))
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
        key_secret=target.site_key_secret.model_dump(exclude_none=True),
        ca_secret=target.site_ca_secret.model_dump(exclude_none=True),
        via=target.via,
        tls=tls,
    )
    return EdgeSite(name, args)


def _runs(bundle: Bundle, runtime: str) -> bool:
    plan = bundle.plan
    return bool(
        {"k3s": plan.k3s_manifests, "systemd": plan.systemd_units, "launchd": plan.launchd_plists}[
            runtime
        ]
    )


def _bundle(name: str, directory: str) -> Bundle:
    # Relative to where the program runs: Pulumi runs it in the project directory, and
    # `inferplane plan` from it. (get_root_directory is a placeholder under mocks.)
    try:
        return read_bundle(Path.cwd() / directory)
    except ValueError as exc:
        raise SpecError(
            [Issue(f"targets.{name}.bundle", str(exc), directory)], f"stack {pulumi.get_stack()}"
        ) from exc


def _site_tls(name: str, directory: str) -> SiteTls:
    """The site's certificate, key and CA from ``<bundle>.secrets`` (the key as a secret)."""
    found = secrets_dir(Path.cwd() / directory)
    try:
        cert, key, ca = ((found / f).read_text() for f in (SECRETS_CERT, SECRETS_KEY, SECRETS_CA))
    except OSError as exc:
        raise SpecError(
            [
                Issue(
                    f"targets.{name}.bundle",
                    f"the site's secrets are not in {found} ({exc.strerror}); build the bundle "
                    "with `inferplane edge build`, which writes them beside it",
                    directory,
                )
            ],
            f"stack {pulumi.get_stack()}",
        ) from exc
    return SiteTls(cert, pulumi.Output.secret(key), ca)
