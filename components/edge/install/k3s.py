"""The k3s runtime part: k3s itself when the bundle carries it, the image archives into
``agent/images`` (imported now), ``registries.yaml``, the manifests into the auto-deploy
directory, and the router's TLS Secret built on the site from its certificate files."""

from __future__ import annotations

from inferplane.components.edge.install.plan_files import (
    MACHINE_ARCH,
    NEED,
    lines,
    need,
    readme,
    weights_into,
)
from inferplane.components.edge.install.site_layout import q, site
from inferplane.components.edge.layout import (
    SITE_TLS_CERT,
    SITE_TLS_KEY,
    TLS_SECRET,
    InstallPlan,
    K3sRuntime,
    SitePaths,
)

__all__ = ["k3s_part"]

_K3S_RUNTIME = (
    """\
# k3s itself, from the bundle (no download): the binary, its airgap images (imported by
# k3s from agent/images at start) and its install script, run only when k3s is not
# running or its binary changed.
"""
    + MACHINE_ARCH
    + """\
case "$arch" in
{cases}  *) echo "the bundle has no k3s {version} for $arch (it has: {arches})" >&2; exit 1 ;;
esac
need "$release/$k3s_binary" "$release/$k3s_airgap" "$release"/{script}
install -d -m 0755 {images_dir} {bin_dir}
install -m 0644 "$release/$k3s_airgap" {images_dir}/
k3s_changed=0
if ! cmp -s "$release/$k3s_binary" {bin_dir}/k3s; then
  install -m 0755 "$release/$k3s_binary" {bin_dir}/k3s.new
  mv -f {bin_dir}/k3s.new {bin_dir}/k3s
  k3s_changed=1
fi
if [ "$k3s_changed" = 1 ] || ! systemctl is-active --quiet k3s; then
  INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION={version} INSTALL_K3S_BIN_DIR={bin_dir} \\
    sh "$release"/{script}
fi
"""
)

_K3S = """\
k3s_images={images_dir}
k3s_manifests={manifests_dir}
need {need}
mkdir -p "$k3s_images" "$k3s_manifests" {etc_k3s}
# Kept in agent/images for reboots; imported now so pods start without a restart.
{images}"""

_K3S_REGISTRIES = """\
if ! cmp -s "$release"/{registries} {etc_registries}; then
  install -m 0600 "$release"/{registries} {etc_registries}
  systemctl restart k3s  # k3s reads registries.yaml only at start
fi
"""

_K3S_MANIFESTS = """\
# k3s applies (and re-applies on change) every file in server/manifests.
{manifests}# The router's TLS Secret, from the site's certificate files (never part of the bundle).
tls_manifest=$(mktemp)
{{
  printf 'apiVersion: v1\\nkind: Secret\\ntype: kubernetes.io/tls\\n'
  printf 'metadata:\\n  name: {secret}\\n  namespace: inferplane\\n'
  printf 'data:\\n  tls.crt: %s\\n  tls.key: %s\\n' \\
    "$(base64 < {tls_cert} | tr -d '\\n')" "$(base64 < {tls_key} | tr -d '\\n')"
}} > "$tls_manifest"
install -m 0600 "$tls_manifest" "$k3s_manifests/{secret}.yaml"
rm -f "$tls_manifest"
"""


def _k3s_itself(k3s: K3sRuntime | None, paths: SitePaths) -> str:
    if k3s is None:
        return ""
    airgap = dict(k3s.airgap)
    return _K3S_RUNTIME.format(
        cases="".join(
            f"  {arch}) k3s_binary={q(path)}; k3s_airgap={q(airgap[arch])} ;;\n"
            for arch, path in k3s.binaries
            if arch in airgap
        ),
        version=q(k3s.version),
        arches=q(" ".join(a for a, _ in k3s.binaries)),
        script=q(k3s.install_script),
        images_dir=site(paths.k3s_images),
        bin_dir=site(paths.k3s_bin_dir),
    )


def _images(plan: InstallPlan, paths: SitePaths, tls: str) -> str:
    images = [*plan.k3s_images, *(image.archive for image in plan.images)]
    return _K3S.format(
        images_dir=site(paths.k3s_images),
        manifests_dir=site(paths.k3s_manifests),
        etc_k3s=site(paths.k3s_registries.rsplit("/", 1)[0]),
        need=" ".join([need([*images, *plan.k3s_manifests]), tls]),
        images=lines('install -m 0644 {path} "$k3s_images/"\nk3s ctr images import {path}', images),
    )


def _registries(plan: InstallPlan, paths: SitePaths) -> str:
    if plan.k3s_registries is None:
        return ""
    return (
        "need "
        + need([plan.k3s_registries])
        + "\n"
        + _K3S_REGISTRIES.format(
            registries=q(plan.k3s_registries), etc_registries=site(paths.k3s_registries)
        )
    )


def _manifests(plan: InstallPlan) -> str:
    return _K3S_MANIFESTS.format(
        manifests=lines('install -m 0600 {path} "$k3s_manifests/"{name}', plan.k3s_manifests),
        secret=TLS_SECRET,
        tls_cert=site(SITE_TLS_CERT),
        tls_key=site(SITE_TLS_KEY),
    )


def k3s_part(plan: InstallPlan, paths: SitePaths, tls: str) -> str:
    """Hand the release to k3s; ``tls`` names the site's certificate files for ``need``."""
    if not plan.k3s_manifests:
        raise ValueError("the bundle has no k3s install (install.k3s.manifests is empty)")
    return (
        NEED
        + readme(plan, paths)
        + weights_into(plan, paths.models)
        + _k3s_itself(plan.k3s_runtime, paths)
        + _images(plan, paths, tls)
        + _registries(plan, paths)
        + _manifests(plan)
    )
