"""What a bundle build takes: ``BundleInputs`` (the same inputs give the same bytes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inferplane.edge_images.k3s import DEFAULT_K3S, K3sRelease
from inferplane.packaging.rootfs import BaseSystem
from inferplane.spec import StackSpec

__all__ = ["BundleInputs", "Progress"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BundleInputs:
    """Everything a bundle depends on; the same inputs give the same bundle bytes."""

    spec: StackSpec
    stack: str
    site: str
    source_root: Path
    """The checkout holding the ``router`` package."""
    cache: Path
    """Download and base-rootfs cache (see ``inferplane.packaging.default_cache``)."""
    profile: str | None = None
    """Must match the site's targets' profile when given."""
    images: Mapping[str, str] = field(default_factory=dict)
    """Per target name: a model-server image pinned by digest, overriding the profile's."""
    registry_mirror: str | None = None
    """A registry on the site network that mirrors docker.io, ghcr.io and nvcr.io."""
    base: BaseSystem = field(default_factory=BaseSystem)
    secrets: Path | None = None
    """The site's secrets directory (TLS certificate, API key); default ``<out>.secrets``.
    Made when absent and reused after (see ``edge_images.secrets``); never in the bundle."""
    rotate_key: bool = False
    """Issue a new site API key, keeping the previous one accepted until the next rotation."""
    weights: Mapping[str, Path] = field(default_factory=dict)
    """Per target name: a local GGUF file or safetensors directory packed into the bundle
    (``edge_images.weights``); without one the operator copies weights in later with
    ``inferplane edge pack-model``."""
    signing_key: Path | None = None
    """An unencrypted minisign secret key (``inferplane edge keygen``): the bundle gets
    ``manifest.json.minisig`` and ``trust/<KEYID>.pub``; sites refuse unsigned bundles."""
    trust_keys: tuple[Path, ...] = ()
    """More public keys the site trusts once this release is live (key rotation: the
    next signing key, announced by a release the current key signs)."""
    revoked: Path | None = None
    """The operator's revocation list (``inferplane edge revoke``), carried as
    ``trust/revoked-keys``: sites refuse these keys' signatures from then on, for good."""
    signed_at: int | None = None
    """The signature's timestamp (unix seconds); default ``signing.signing_time()``."""
    k3s_dir: Path | None = None
    """A directory holding k3s's release files under their upstream names
    (``edge_images.k3s``): packed for Linux profiles, each checked against its pin."""
    k3s_version: str = DEFAULT_K3S
    k3s_releases: Mapping[str, K3sRelease] | None = None
    """TEST ONLY: replaces ``edge_images.k3s.K3S_RELEASES`` (stand-in files)."""
