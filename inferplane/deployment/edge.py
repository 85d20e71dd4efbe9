"""Edge targets -> ``components.edge.EdgeSite``; the sites of one fleet (expanded by the
spec, ``EdgeTarget.member``) -> one ``EdgeFleet`` that rolls them out wave by wave."""

from __future__ import annotations

from pathlib import Path

import pulumi

from inferplane.components.edge.bundle import Bundle, read_bundle
from inferplane.components.edge.edge_fleet import EdgeFleet, EdgeFleetArgs, FleetSite
from inferplane.components.edge.edge_site import EdgeSite, EdgeSiteArgs, SiteTls, SshAccess
from inferplane.components.edge.layout import SECRETS_CA, SECRETS_CERT, SECRETS_KEY, secrets_dir
from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import secret_config
from inferplane.errors import Issue, SpecError
from inferplane.spec.targets.selfhosted import EdgeTarget

__all__ = ["edge_site", "site_args"]


def edge_site(name: str, target: EdgeTarget, ctx: DeployContext) -> EdgeSite:
    member = target.member
    if member is None:
        return EdgeSite(name, site_args(name, target, ctx))
    # The first site of a fleet builds the whole fleet (waves need every site at once);
    # the others return their site from it.
    key = f"edge-fleet:{member.fleet}"
    fleet = ctx.shared.get(key)
    if fleet is None:
        fleet = _fleet(member.fleet, ctx)
        ctx.shared[key] = fleet
    assert isinstance(fleet, EdgeFleet)
    return fleet.sites[name]


def _fleet(fleet: str, ctx: DeployContext) -> EdgeFleet:
    members = [
        (name, target, target.member)
        for name, target in ctx.spec.targets.items()
        if isinstance(target, EdgeTarget) and target.member and target.member.fleet == fleet
    ]
    sites = tuple(
        FleetSite(name, member.wave, site_args(name, target, ctx))
        for name, target, member in sorted(members, key=lambda m: (m[2].wave, m[2].site_index))
    )
    return EdgeFleet(fleet, EdgeFleetArgs(sites))


def site_args(name: str, target: EdgeTarget, ctx: DeployContext) -> EdgeSiteArgs:
    """What EdgeSite needs for the site target ``name``."""
    bundle = _bundle(name, target.bundle) if target.bundle is not None else None
    if bundle is not None and not _runs(bundle, target.site_runtime):
        raise SpecError(
            [
                Issue(
                    f"targets.{name}.bundle",
                    f"the bundle has no {target.site_runtime} install (built for another "
                    f"profile); rebuild it with `inferplane edge build --site {target.site_name}`",
                    target.bundle,
                )
            ],
            f"stack {pulumi.get_stack()}",
        )
    ssh, install_dir, tls = None, "/opt/inferplane", None
    if target.ssh is not None:
        key = secret_config(target.ssh.private_key, f"targets.{name}.ssh.private_key")
        assert target.ssh.host_key is not None  # the spec requires it with ssh
        ssh = SshAccess(key, target.ssh.host_key, target.ssh.user, target.ssh.port)
        install_dir = target.ssh.install_dir
        tls = _site_tls(name, str(target.bundle))
    return EdgeSiteArgs(
        site=target.site_name,
        # Without an address the site's name must resolve (site DNS or VPN).
        address=target.address or target.site_name,
        model=target.model,
        runtime=target.site_runtime,
        bundle=bundle,
        ssh=ssh,
        install_dir=install_dir,
        labels=ctx.labels(name),
        key_secret=target.site_key_secret.router_ref(),
        ca_secret=target.site_ca_secret.router_ref(),
        via=target.via,
        tls=tls,
        wave=target.member.wave if target.member else 1,
    )


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
