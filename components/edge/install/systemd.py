"""The systemd runtime part: the router image unpacked with umoci beside the live one and
swapped in, its config, every model-server image loaded into podman (the units never
pull), the listed units enabled and restarted."""

from __future__ import annotations

from inferplane.components.edge.install.plan_files import (
    MACHINE_ARCH,
    NEED,
    lines,
    need,
    readme,
    weights_into,
    words,
)
from inferplane.components.edge.install.site_layout import q, site
from inferplane.components.edge.layout import ROUTER_OCI, InstallPlan, SitePaths

__all__ = ["systemd_part"]

_SYSTEMD = (
    MACHINE_ARCH
    + """\
arches={arches}
case " $arches " in
  *" $arch "*) ;;
  *) echo "the router image has no $arch build (it has: $arches)" >&2; exit 1 ;;
esac
need "$release"/{oci}/index.json {need}
install -d -m 0755 {state} {models} {etc}
# Unpacked beside the live router and swapped in: removing the tree a running router uses
# races with it (its Python writes bytecode there: "Directory not empty").
rm -rf {router_root}.new {router_root}.old
umoci unpack --image "$release"/{oci}:{tag}-"$arch" {router_root}.new
if [ -e {router_root} ]; then mv {router_root} {router_root}.old; fi
mv {router_root}.new {router_root}
install -m 0644 "$release"/{config} {router_config}
# Loaded now: the units run images by digest with --pull=never (sites are offline).
{images}mkdir -p {unit_dir}
{units}systemctl daemon-reload
# Units run from the unpacked router and the loaded images: restart onto the new release.
systemctl enable {names}
systemctl restart {names}
rm -rf {router_root}.old || true
"""
)


def _router_and_units(plan: InstallPlan, paths: SitePaths, tls: str, config: str, tag: str) -> str:
    units = list(plan.systemd_units)
    podman = [image.archive for image in plan.images if not image.k3s_only]
    return _SYSTEMD.format(
        arches=q(" ".join(plan.router_arches)),
        oci=q(ROUTER_OCI),
        tag=q(tag),
        need=" ".join([need([*units, config, *podman]), tls]),
        state=site(paths.router_root.rsplit("/", 1)[0]),
        models=site(paths.models),
        etc=site(paths.router_config.rsplit("/", 1)[0]),
        router_root=site(paths.router_root),
        config=q(config),
        router_config=site(paths.router_config),
        images=lines("podman load --input {path}", podman),
        unit_dir=site(paths.unit_dir),
        units=lines(f"install -m 0644 {{path}} {site(paths.unit_dir)}/", units),
        names=words([u.rsplit("/", 1)[-1] for u in units]),
    )


def systemd_part(plan: InstallPlan, paths: SitePaths, tls: str) -> str:
    """Hand the release to systemd; ``tls`` names the site's certificate files for ``need``."""
    config, tag = plan.systemd_config, plan.router_oci_tag
    if not plan.systemd_units or config is None or tag is None:
        raise ValueError(
            "the bundle has no systemd install (install.systemd needs units, config "
            "and router_oci_tag)"
        )
    return (
        NEED
        + readme(plan, paths)
        + weights_into(plan, paths.models)
        + _router_and_units(plan, paths, tls, config, tag)
    )
