"""The edge bundle builder: one profile + one stack's site -> a directory a site installs
offline. Same inputs (and the same site secrets), same bytes (every file, hence
``manifest.json``). Paths come from ``components.edge.layout``, which the installers read.

Linux profiles (k3s or systemd install)::

    images/router-oci/                 router OCI layout (multi-arch index + manifests)
    images/router-oci.tar              the same as an OCI archive
    k3s/agent/images/inferplane-router.tar   airgap image (containerd-named OCI archive)
    k3s/server/manifests/*.yaml        router, one model server per target, NVIDIA (GPU)
    k3s/registries.yaml                /etc/rancher/k3s/registries.yaml
    systemd/*.service, systemd/router.json   the non-Kubernetes alternative
    seed/user-data, meta-data, network-config, seed/seed.iso   cloud-init NoCloud
    install.sh, fetch-images.sh
    manifest.json                      every other file (size, sha256); ``install``: the
                                       exact files each runtime installs, and the pinned
                                       model-server images fetch-images.sh brings into
                                       k3s/agent/images/ (checked by digest)

Apple silicon (launchd install): ``macos/`` holds the router source, macOS wheels,
launchd plists (``macos/launchd``), router.json and install-macos.sh.

Beside the bundle, never in it: the site's secrets (``<out>.secrets``, see
``edge_images.secrets``): its TLS certificate and key, its CA, the API key the stack's
router presents, and ``seed/seed.iso`` with the TLS files for seed-only provisioning.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inferplane.edge_images import host_tools
from inferplane.edge_images.bundle_files import write
from inferplane.edge_images.bundle_manifest import write_manifest
from inferplane.edge_images.inputs import BundleInputs, Progress
from inferplane.edge_images.linux_bundle import linux_bundle
from inferplane.edge_images.mac_bundle import MAC_PYTHON, mac_bundle
from inferplane.edge_images.profiles import DIGEST_REF, Profile, load_profile
from inferplane.edge_images.secrets import SiteSecrets, secrets_dir, site_secrets
from inferplane.edge_images.servers import DEVICE_PLUGIN, site_servers
from inferplane.edge_images.signing import (
    SecretKey,
    read_revocations,
    read_secret_key,
    read_trusted,
    sign_bundle,
    trust_files,
)
from inferplane.edge_images.site import Site, site_names
from inferplane.edge_images.weights import pack_model
from inferplane.errors import BuildError
from inferplane.packaging.router_image import RouterImage

__all__ = ["MAC_PYTHON", "Bundle", "BundleInputs", "build_bundle"]


@dataclass(frozen=True)
class Bundle:
    path: Path
    profile: str
    files: dict[str, dict[str, Any]]
    """Relative path -> {size, sha256}, as in manifest.json."""
    manifest_sha256: str
    router_image: RouterImage | None
    secrets: SiteSecrets
    """The site's secrets (outside the bundle)."""
    signed_by: str | None = None
    """The signing key's id, if the bundle is signed."""


def _site(inputs: BundleInputs) -> tuple[Site, Profile]:
    """The site and its profile; BuildError when ``--profile`` names another."""
    site = Site.from_spec(inputs.spec, inputs.stack, inputs.site)
    if inputs.profile is not None and inputs.profile != site.profile:
        raise BuildError(
            f"site {site.name!r} runs profile {site.profile!r} in stack {inputs.stack!r}, "
            f"not {inputs.profile!r}"
        )
    return site, load_profile(site.profile)


def _check_host(inputs: BundleInputs, profile: Profile) -> None:
    """Every program the build runs, checked before any work (not one at a time, minutes in)."""
    arches, containers = profile.arches, profile.containers
    host_tools.require(
        host_tools.needed(arches, containers, inputs.base, inputs.cache),
        root=host_tools.needs_root(arches, containers, inputs.base, inputs.cache),
    )


def _with_overrides(inputs: BundleInputs, site: Site, profile: Profile) -> Profile:
    """The profile with the image overrides checked (and a mirrored device plugin)."""
    unknown = sorted(set(inputs.images) - set(site.targets) - {DEVICE_PLUGIN})
    if unknown:
        raise BuildError(
            f"image overrides name unknown targets {unknown}; the site's targets: "
            f"{', '.join(site.targets)} (and {DEVICE_PLUGIN} on GPU profiles)"
        )
    plugin = inputs.images.get(DEVICE_PLUGIN)
    if plugin is None:
        return profile
    if not (profile.gpu and profile.containers) or not DIGEST_REF.match(plugin):
        raise BuildError(
            f"--image {DEVICE_PLUGIN}={plugin!r}: allowed only on GPU profiles, as "
            "repo:tag@sha256:<digest>"
        )
    # A site may mirror the plugin image; the profile's pin is the default.
    return profile.model_copy(update={"device_plugin": plugin})


def _check_weights(inputs: BundleInputs, site: Site) -> None:
    unpacked = sorted(set(inputs.weights) - set(site.targets))
    if unpacked:
        raise BuildError(
            f"--weights names unknown targets {unpacked}; the site's targets: "
            f"{', '.join(site.targets)}"
        )


def _signing(inputs: BundleInputs) -> tuple[SecretKey | None, dict[str, str]]:
    """The signing key, and the trust files the bundle carries."""
    key = read_secret_key(inputs.signing_key) if inputs.signing_key is not None else None
    if inputs.trust_keys and key is None:
        raise BuildError(
            "--trust-key needs --signing-key: sites adopt new keys only from signed releases"
        )
    revoked = read_revocations(inputs.revoked) if inputs.revoked is not None else {}
    if revoked and key is None:
        raise BuildError("--revoked needs --signing-key: sites adopt revocations only when signed")
    return key, trust_files(key, [read_trusted(p) for p in inputs.trust_keys], revoked)


def _secrets(inputs: BundleInputs, site: Site, out: Path) -> SiteSecrets:
    where = inputs.secrets or secrets_dir(out)
    # The bundle directory is replaced and copied whole: its secrets live beside it.
    if out.resolve() in (where.resolve(), *where.resolve().parents):
        raise BuildError(f"the secrets directory {where} must be outside the bundle {out}")
    return site_secrets(where, site.name, site_names(site), rotate_key=inputs.rotate_key)


def _fresh(out: Path, trusted: dict[str, str]) -> None:
    """An empty ``out`` holding the trust files."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for path, text in trusted.items():
        write(out / path, text)


def _pack_weights(inputs: BundleInputs, out: Path, say: Progress) -> dict[str, dict[str, Any]]:
    """Pack the given weights; the manifest's files afterwards."""
    for target, source in sorted(inputs.weights.items()):
        say(f"weights of {target} from {source}")
        pack_model(out, target, source)
    files: dict[str, dict[str, Any]] = json.loads((out / "manifest.json").read_bytes())["files"]
    return files


def _sign(out: Path, key: SecretKey | None, at: int | None, say: Progress) -> str | None:
    if key is None:
        say("unsigned (no --signing-key): sites refuse it unless installed --allow-unsigned")
        return None
    signer = sign_bundle(out, key, at)
    say(f"manifest.json signed by key {signer}")
    return signer


def build_bundle(inputs: BundleInputs, out: Path, progress: Progress | None = None) -> Bundle:
    """Build the bundle of ``inputs.site`` into ``out`` (replaced); every input is checked
    before anything is written."""
    say = progress or (lambda _message: None)
    site, profile = _site(inputs)
    _check_host(inputs, profile)
    profile = _with_overrides(inputs, site, profile)
    servers = site_servers(site, profile, inputs.images)
    _check_weights(inputs, site)
    key, trusted = _signing(inputs)
    secrets = _secrets(inputs, site, out)
    site = replace(site, keys=secrets.keys)
    _fresh(out, trusted)
    say(f"site {site.name}: profile {profile.name} ({', '.join(profile.arches)}), "
        f"targets {', '.join(site.targets)}")  # fmt: skip
    if profile.containers:
        args = (inputs, site, profile, servers, out)
        image, plan = linux_bundle(*args, secrets=secrets, trusted=trusted, say=say)
    else:
        image, plan = None, mac_bundle(inputs, site, servers, out, say)
    say("manifest.json")
    files = write_manifest(out, inputs.stack, site, profile, servers, image=image, plan=plan)
    if inputs.weights:
        files = _pack_weights(inputs, out, say)
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    return Bundle(
        out, profile.name, files, digest, image, secrets, _sign(out, key, inputs.signed_at, say)
    )
