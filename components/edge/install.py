"""The shell that installs an edge bundle on a site, and the one that removes it.

``EdgeSite`` runs them over SSH (``bash -s``, the script on stdin) after copying the bundle
to ``<install_dir>/incoming/<digest>``. Install: verify every file's sha256 on the site,
move the bundle to ``releases/<digest>``, point ``current`` at it, hand it to the runtime,
wait for the health URL, keep the last three releases. Nothing is touched before the
checksums pass. Bash 3.2 (macOS) compatible.

What goes to the runtime is the bundle's ``InstallPlan`` (``components.edge.layout``,
``manifest.json`` ``install``), rendered into the script as explicit lists: exactly the
listed files are installed, and a listed file that is missing stops the install. The
bundle's own ``install.sh`` (written by ``edge_images``) runs the same runtime part
(``runtime_part``) on an unpacked bundle.

- k3s: router and model-server image archives into ``agent/images`` and imported into
  containerd, manifests into the auto-deploy directory, ``registries.yaml``, and a TLS
  Secret for the router built on the site from the site's certificate files;
- systemd: the router image unpacked with umoci, its config, every model-server image
  loaded into podman (so the units never pull), the listed units enabled and restarted;
- launchd: the router app and config, the listed plists bootstrapped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from inferplane.components.edge.bundle import MANIFEST
from inferplane.components.edge.layout import (
    MACOS_DIR,
    ROUTER_OCI,
    SITE_CA,
    SITE_TLS_CERT,
    SITE_TLS_DIR,
    SITE_TLS_KEY,
    SITE_TRUSTED_KEYS,
    TLS_SECRET,
    InstallPlan,
    SitePaths,
)
from inferplane.components.shell import quote

__all__ = [
    "ROOT_ENV",
    "Runtime",
    "SiteLayout",
    "handover_script",
    "install_script",
    "runtime_part",
    "tls_script",
    "uninstall_script",
]

Runtime = Literal["k3s", "systemd", "launchd"]
RUNTIMES = ("k3s", "systemd", "launchd")
ROOT_ENV = "INFERPLANE_ROOT"
"""Prefix of every site path in the bundle's install.sh (tests install into a directory)."""


def _q(value: str) -> str:
    return quote(value, "edge bundle value")


@dataclass(frozen=True)
class SiteLayout:
    """Where things go on the site. ``root`` prefixes every path (tests install into a
    temporary directory; on a site it is empty)."""

    install_dir: str = "/opt/inferplane"
    root: str = ""
    paths: SitePaths = field(default_factory=SitePaths)


def _site(path: str) -> str:
    """A site path under ``$root`` (the shell variable every script sets first)."""
    return f'"$root"{_q(path)}'


_COMMON = """\
set -euo pipefail
umask 022
root={root}
base="$root"{base}
digest={digest}
incoming="$base/incoming/$digest"
release="$base/releases/$digest"
sums() {{
  if command -v sha256sum >/dev/null 2>&1; then sha256sum --check --strict --quiet
  else shasum -a 256 --check --strict --quiet; fi
}}
verify() {{
  (cd "$1" && sums) <<'SHA256SUMS'
{checksums}SHA256SUMS
}}
manifest=$(find "$incoming" -maxdepth 2 -name {manifest} -print 2>/dev/null | head -n 1 || true)
if [ -n "$manifest" ]; then
  # CopyToRemote puts the directory at the path, or inside it when the path exists.
  src=$(dirname "$manifest")
  verify "$src" || {{ echo "bundle $digest: checksum mismatch, nothing installed" >&2; exit 1; }}
  mkdir -p "$base/releases"
  rm -rf "$release"
  mv "$src" "$release"
  rm -rf "$incoming"
elif [ -d "$release" ]; then
  verify "$release" || {{ echo "release $digest: checksum mismatch" >&2; exit 1; }}
else
  echo "bundle $digest: not found under $incoming" >&2
  exit 1
fi
ln -sfn "$release" "$base/current"
"""

_NEED = """\
need() {
  # Every file the bundle's plan names must be there: a missing one is a broken bundle.
  for f in "$@"; do
    [ -f "$f" ] || { echo "missing $f (named by the bundle's install plan)" >&2; exit 1; }
  done
}
"""

_WEIGHTS = """\
# Model weights (sha256 checked with every other file before this point). Only files that
# differ from the installed ones are copied; they must fit the free disk first.
need {need}
models={models}
install -d -m 0755 "$models"
changed=""
{compare}if [ -n "$changed" ]; then
  free_kb=$(df -Pk "$models" | awk 'NR==2 {{print $4}}')
  free=$(( free_kb * 1024 ))
  if [ "$free" -lt {total} ]; then
    echo "model weights need {total} bytes in $models; the disk has $free free:" \\
      "nothing activated" >&2
    exit 1
  fi
  for f in $changed; do
    install -d -m 0755 "$models/$(dirname "$f")"
    # Copied beside, then renamed: a running server never reads half a file.
    cp "$release"/{prefix}"$f" "$models/$f.partial"
    chmod 0644 "$models/$f.partial"
    mv -f "$models/$f.partial" "$models/$f"
  done
fi
"""

_K3S_RUNTIME = """\
# k3s itself, from the bundle (no download): the binary, its airgap images (imported by
# k3s from agent/images at start) and its install script, run only when k3s is not
# running or its binary changed.
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
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

_SYSTEMD = """\
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
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

_LAUNCHD = """\
need {need}
mac_root={mac_root}
install -d -m 0755 "$mac_root" "$mac_root/models" "$mac_root/log" {agent_dir}
# The router's virtualenv, offline from the bundle's macOS wheels.
rm -rf "$mac_root/venv" "$mac_root/app"
/opt/homebrew/bin/{python} -m venv "$mac_root/venv"
"$mac_root/venv/bin/pip" install --no-index --find-links "$release"/{wheels} \
  --requirement "$release"/{requirements}
cp -R "$release"/{app} "$mac_root/app"
install -m 0644 "$release"/{config} "$mac_root/router.json"
{plists}"""

_HEALTH = """\
deadline=$(( $(date +%s) + {wait_seconds} ))
until {fetch} {health_url} >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "release $digest installed, but {health_url} did not answer in {wait_seconds}s" >&2
    exit 1
  fi
  sleep 5
done
# shellcheck disable=SC2012  # release names are hex digests
ls -1dt "$base"/releases/*/ | tail -n +4 | while read -r old; do rm -rf "$old"; done
echo "release $digest is live"
"""


def install_script(
    runtime: Runtime,
    digest: str,
    checksums: str,
    health_url: str,
    plan: InstallPlan,
    *,
    layout: SiteLayout | None = None,
    wait_seconds: int = 900,
) -> str:
    """The install script for a bundle with ``digest`` and ``checksums`` (sha256sum
    format, paths relative to the bundle). ``health_url`` is fetched on the site with
    the site's CA (``/etc/inferplane/tls/ca.pem``) when it is https."""
    layout = layout or SiteLayout()
    if not 0 <= wait_seconds <= 7200:
        raise ValueError(f"wait_seconds {wait_seconds} is out of range; allowed: 0..7200")
    if "SHA256SUMS" in checksums or not checksums.endswith("\n"):
        raise ValueError("checksums must be sha256sum lines, each ending in a newline")
    script = "#!/bin/bash\n" + _COMMON.format(
        root=_q(layout.root),
        base=_q(layout.install_dir),
        digest=_q(digest),
        checksums=checksums,
        manifest=MANIFEST,
    )
    script += runtime_part(runtime, plan, layout.paths)
    # The site's router serves TLS with a certificate for the site's names; on the site
    # itself it is reached on loopback, which the certificate names too.
    fetch = "curl -fsS --max-time 5"
    if health_url.startswith("https://"):
        fetch += f" --cacert {_site(SITE_CA)}"
    return script + _HEALTH.format(
        wait_seconds=wait_seconds, fetch=fetch, health_url=_q(health_url)
    )


def runtime_part(runtime: Runtime, plan: InstallPlan, paths: SitePaths | None = None) -> str:
    """The shell that hands the release in ``$release`` to ``runtime``, every site path
    under ``$root``. Errors name what the plan lacks."""
    paths = paths or SitePaths()
    models = [image.archive for image in plan.images]
    podman = [image.archive for image in plan.images if not image.k3s_only]

    def words(items: list[str] | tuple[str, ...]) -> str:
        return " ".join(_q(i) for i in items)

    def lines(template: str, items: list[str] | tuple[str, ...]) -> str:
        return "".join(
            template.format(path=f'"$release"/{_q(i)}', name=_q(i.rsplit("/", 1)[-1])) + "\n"
            for i in items
        )

    def need(items: list[str] | tuple[str, ...]) -> str:
        return " ".join(f'"$release"/{_q(i)}' for i in items)

    tls = f"{_site(SITE_TLS_CERT)} {_site(SITE_TLS_KEY)}"
    readme = ""
    if plan.readme is not None:
        # The operator's guide, where the router unit's Documentation= points.
        readme = (
            f'need "$release"/{_q(plan.readme)}\n'
            f"install -d -m 0755 {_site(paths.doc.rsplit('/', 1)[0])}\n"
            f'install -m 0644 "$release"/{_q(plan.readme)} {_site(paths.doc)}\n'
        )

    def weights_into(models_dir: str) -> str:
        return "".join(
            _WEIGHTS.format(
                need=need(packed.files),
                models=_site(models_dir),
                compare="".join(
                    f'cmp -s "$release"/{_q(f)} "$models"/{_q(packed.installed_name(f))} '
                    f'|| changed="$changed "{_q(packed.installed_name(f))}\n'
                    for f in packed.files
                ),
                total=packed.bytes,
                prefix=_q(f"models/{packed.target}/"),
            )
            for packed in plan.weights
        )

    if runtime == "k3s":
        if not plan.k3s_manifests:
            raise ValueError("the bundle has no k3s install (install.k3s.manifests is empty)")
        images = [*plan.k3s_images, *models]
        k3s = plan.k3s_runtime
        runtime_text = ""
        if k3s is not None:
            airgap = dict(k3s.airgap)
            runtime_text = _K3S_RUNTIME.format(
                cases="".join(
                    f"  {arch}) k3s_binary={_q(path)}; k3s_airgap={_q(airgap[arch])} ;;\n"
                    for arch, path in k3s.binaries
                    if arch in airgap
                ),
                version=_q(k3s.version),
                arches=_q(" ".join(a for a, _ in k3s.binaries)),
                script=_q(k3s.install_script),
                images_dir=_site(paths.k3s_images),
                bin_dir=_site(paths.k3s_bin_dir),
            )
        text = (
            _NEED
            + readme
            + weights_into(paths.models)
            + runtime_text
            + _K3S.format(
                images_dir=_site(paths.k3s_images),
                manifests_dir=_site(paths.k3s_manifests),
                etc_k3s=_site(paths.k3s_registries.rsplit("/", 1)[0]),
                need=" ".join([need([*images, *plan.k3s_manifests]), tls]),
                images=lines(
                    'install -m 0644 {path} "$k3s_images/"\nk3s ctr images import {path}', images
                ),
            )
        )
        if plan.k3s_registries is not None:
            text += "need " + need([plan.k3s_registries]) + "\n"
            text += _K3S_REGISTRIES.format(
                registries=_q(plan.k3s_registries), etc_registries=_site(paths.k3s_registries)
            )
        return text + _K3S_MANIFESTS.format(
            manifests=lines('install -m 0600 {path} "$k3s_manifests/"{name}', plan.k3s_manifests),
            secret=TLS_SECRET,
            tls_cert=_site(SITE_TLS_CERT),
            tls_key=_site(SITE_TLS_KEY),
        )
    if runtime == "systemd":
        if not plan.systemd_units or plan.systemd_config is None or plan.router_oci_tag is None:
            raise ValueError(
                "the bundle has no systemd install (install.systemd needs units, config "
                "and router_oci_tag)"
            )
        units = list(plan.systemd_units)
        return (
            _NEED
            + readme
            + weights_into(paths.models)
            + _SYSTEMD.format(
                arches=_q(" ".join(plan.router_arches)),
                oci=_q(ROUTER_OCI),
                tag=_q(plan.router_oci_tag),
                need=" ".join([need([*units, plan.systemd_config, *podman]), tls]),
                state=_site(paths.router_root.rsplit("/", 1)[0]),
                models=_site(paths.models),
                etc=_site(paths.router_config.rsplit("/", 1)[0]),
                router_root=_site(paths.router_root),
                config=_q(plan.systemd_config),
                router_config=_site(paths.router_config),
                images=lines("podman load --input {path}", podman),
                unit_dir=_site(paths.unit_dir),
                units=lines(f"install -m 0644 {{path}} {_site(paths.unit_dir)}/", units),
                names=words([u.rsplit("/", 1)[-1] for u in units]),
            )
        )
    if runtime == "launchd":
        if not plan.launchd_plists or plan.mac_python is None:
            raise ValueError(
                "the bundle has no launchd install (install.launchd needs plists and python)"
            )
        config = f"{MACOS_DIR}/router.json"
        # llama-server's /models paths map to <mac_root>/models under launchd.
        return (
            _NEED
            + weights_into(f"{paths.mac_root}/models")
            + _LAUNCHD.format(
                need=" ".join(
                    [need([*plan.launchd_plists, config, f"{MACOS_DIR}/requirements.txt"]), tls]
                ),
                mac_root=_site(paths.mac_root),
                agent_dir=_site(paths.launch_daemons),
                app=_q(f"{MACOS_DIR}/app"),
                python=_q(plan.mac_python),
                wheels=_q(f"{MACOS_DIR}/wheels"),
                requirements=_q(f"{MACOS_DIR}/requirements.txt"),
                config=_q(config),
                plists="".join(
                    f'install -m 0644 "$release"/{_q(p)} {agent}/\n'
                    f"launchctl bootout system/{_q(label)} 2>/dev/null || true\n"
                    f"launchctl bootstrap system {agent}/{_q(label + '.plist')}\n"
                    for p in plan.launchd_plists
                    for label in [p.rsplit("/", 1)[-1].removesuffix(".plist")]
                    for agent in [_site(paths.launch_daemons)]
                ),
            )
        )
    raise ValueError(f"runtime {runtime!r} is unknown; allowed: {', '.join(RUNTIMES)}")


_TLS = """\
#!/bin/bash
set -euo pipefail
umask 077
root={root}
tls="$root"{tls_dir}
install -d -m 0755 "$tls"
write() {{
  # Written beside, then renamed: a reader never sees half a key.
  cat > "$tls/$1.new"
  chmod "$2" "$tls/$1.new"
  {owner}mv -f "$tls/$1.new" "$tls/$1"
}}
write {cert} 0644 <<'PEM'
{cert_pem}PEM
write {ca} 0644 <<'PEM'
{ca_pem}PEM
write {key} 0600 <<'PEM'
{key_pem}PEM
"""


_TRUST = """\
#!/bin/bash
set -euo pipefail
umask 022
root={root}
keys="$root"{keys_dir}
install -d -m 0755 "$keys"
write() {{
  cat > "$keys/$1.new"
  chmod 0644 "$keys/$1.new"
  mv -f "$keys/$1.new" "$keys/$1"
}}
{writes}"""


def trust_script(keys: Mapping[str, str], layout: SiteLayout | None = None) -> str:
    """The script that adds the release signer's public keys (``trust/<KEYID>.pub`` of
    the operator's bundle: name to minisign text) to the site's trusted keys, before the
    bundle's own install.sh verifies the signature -- what the seed does on a hand
    install. Keys already trusted stay; install.sh replaces the set on a signed rotation."""
    from inferplane.components.edge.minisign import SignatureError, parse_public_key

    layout = layout or SiteLayout()
    if not keys:
        raise ValueError("trust_script needs at least one public key")
    writes = []
    for name, text in sorted(keys.items()):
        try:
            key = parse_public_key(text, name)
        except SignatureError as exc:
            raise ValueError(f"trusted key {name}: {exc}") from exc
        if name != f"{key.name}.pub":
            raise ValueError(f"trusted key {name!r} is not named after its key id ({key.name}.pub)")
        # Only the key line travels: a comment is free text and stays on the operator side.
        line = base64.b64encode(b"Ed" + key.key_id + key.key).decode()
        writes.append(f"printf '%s\\n' {_q(line)} | write {_q(name)}\n")
    return _TRUST.format(
        root=_q(layout.root), keys_dir=_q(SITE_TRUSTED_KEYS), writes="".join(writes)
    )


def tls_script(
    runtime: Runtime, cert: str, key: str, ca: str, layout: SiteLayout | None = None
) -> str:
    """The script that puts the site's TLS files in ``/etc/inferplane/tls`` (key 0600,
    root's: systemd hands it to the router with LoadCredential, the k3s install builds a
    Secret from it; under launchd the router runs as ``nobody``, which then owns it)."""
    layout = layout or SiteLayout()
    pems = {"cert": cert, "key": key, "ca": ca}
    for name, text in pems.items():
        body = text.strip()
        if not body.startswith("-----BEGIN ") or "PEM" in body.splitlines():
            raise ValueError(f"tls {name} is not a PEM block")
    owner = 'chown nobody "$tls/$1.new"\n  ' if runtime == "launchd" else ""
    return _TLS.format(
        root=_q(layout.root),
        tls_dir=_q(SITE_TLS_DIR),
        owner=owner,
        cert=_q(SITE_TLS_CERT.rsplit("/", 1)[1]),
        ca=_q(SITE_CA.rsplit("/", 1)[1]),
        key=_q(SITE_TLS_KEY.rsplit("/", 1)[1]),
        cert_pem=cert.strip() + "\n",
        ca_pem=ca.strip() + "\n",
        key_pem=key.strip() + "\n",
    )


_REMOVE = {
    "k3s": """\
# Removing a file alone leaves its objects running: delete them first.
for manifest in {manifests}; do
  manifest={k3s_manifests}/"$manifest"
  [ -f "$manifest" ] || continue
  k3s kubectl delete --ignore-not-found -f "$manifest"
  rm -f "$manifest"
done
""",
    "systemd": """\
{units}systemctl daemon-reload
""",
    "launchd": "{plists}",
}


def uninstall_script(runtime: Runtime, plan: InstallPlan, layout: SiteLayout | None = None) -> str:
    """The script that stops what the bundle runs and removes its releases."""
    layout = layout or SiteLayout()
    if runtime not in _REMOVE:
        raise ValueError(f"runtime {runtime!r} is unknown; allowed: {', '.join(_REMOVE)}")
    units = [u.rsplit("/", 1)[-1] for u in plan.systemd_units]
    plists = [p.rsplit("/", 1)[-1].removesuffix(".plist") for p in plan.launchd_plists]
    manifests = [m.rsplit("/", 1)[-1] for m in plan.k3s_manifests] + [f"{TLS_SECRET}.yaml"]
    body = _REMOVE[runtime].format(
        manifests=" ".join(_q(m) for m in manifests),
        k3s_manifests=_site(layout.paths.k3s_manifests),
        unit_dir=_site(layout.paths.unit_dir),
        agent_dir=_site(layout.paths.launch_daemons),
        units="".join(
            f"systemctl disable --now {_q(u)} || true\n"
            f"rm -f {_site(layout.paths.unit_dir)}/{_q(u)}\n"
            for u in units
        ),
        plists="".join(
            f"launchctl bootout system/{_q(p)} 2>/dev/null || true\n"
            f"rm -f {_site(layout.paths.launch_daemons)}/{_q(p + '.plist')}\n"
            for p in plists
        ),
    )
    return (
        f"#!/bin/bash\nset -euo pipefail\nroot={_q(layout.root)}\n"
        f'base="$root"{_q(layout.install_dir)}\n{body}'
        'rm -rf "$base/current" "$base/previous" "$base/releases" "$base/incoming"\n'
        'rm -f "$base/runtime" "$base/releases.log"\n'
    )


_CURRENT = 'ln -sfn "$release" "$base/current"\n'


def handover_script(
    runtime: Runtime,
    digest: str,
    checksums: str,
    *,
    layout: SiteLayout | None = None,
    wait_seconds: int = 900,
) -> str:
    """Stage the copied bundle as ``releases/<digest>`` (every file's sha256 checked first)
    and hand it to the bundle's own ``install.sh <runtime>`` (k3s or systemd): the one
    installer that switches ``current``, waits for the health gate and, when the release
    fails it, restores and restarts the previous release and exits non-zero with the
    reason. EdgeSite runs this, so ``pulumi up`` gets the same rollback as a hand install."""
    layout = layout or SiteLayout()
    if runtime not in ("k3s", "systemd"):
        raise ValueError(f"runtime {runtime!r} has no install.sh handover; allowed: k3s, systemd")
    if not 0 <= wait_seconds <= 7200:
        raise ValueError(f"wait_seconds {wait_seconds} is out of range; allowed: 0..7200")
    if "SHA256SUMS" in checksums or not checksums.endswith("\n"):
        raise ValueError("checksums must be sha256sum lines, each ending in a newline")
    common = _COMMON.format(
        root=_q(layout.root),
        base=_q(layout.install_dir),
        digest=_q(digest),
        checksums=checksums,
        manifest=MANIFEST,
    )
    # install.sh switches `current` itself, remembering the release it replaces.
    assert common.endswith(_CURRENT)
    staged = common.removesuffix(_CURRENT)
    return (
        "#!/bin/bash\n"
        + staged
        + f'export {ROOT_ENV}="$root" INFERPLANE_HEALTH_SECONDS={_q(str(wait_seconds))}\n'
        + f'exec "$release"/install.sh {_q(runtime)}\n'
    )
