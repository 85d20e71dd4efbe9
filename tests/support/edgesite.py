"""Real edge bundles for installer tests, and a site to install them into.

``build_site_bundle`` runs the real builder (``edge_images.bundle.build_bundle``) on a
stack's site. Without ``real_router_image`` the router image is a small real OCI image of
the router package alone (no base rootfs or wheels: those need root, debootstrap and
minutes); everything else is the builder's own output. Model-server images are pinned to
small real OCI archives made here, which the recording ``skopeo`` shim hands to the
bundle's real ``fetch-images.sh``, so ``install.sh verify`` checks real digests.

Bundles are signed with ``signing_key_file()`` (a fixed test-only key, so two builds stay
byte-identical) and every ``FakeSite`` trusts it, as a site provisioned from its seed does.

``FakeSite`` is a temporary root with recording shims on ``PATH`` for ``k3s``, ``podman``,
``systemctl``, ``launchctl``, ``umoci``, ``skopeo`` and ``curl``; each appends its argv to
a log, ``umoci unpack`` creates the rootfs, ``skopeo copy`` copies the prepared archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from inferplane.components.edge.bundle import Bundle, read_bundle
from inferplane.components.edge.layout import SIGNATURE
from inferplane.edge_images import bundle as builder
from inferplane.edge_images import linux_bundle as linux_builder
from inferplane.edge_images.bundle import BundleInputs, build_bundle
from inferplane.edge_images.signing import SecretKey, public_key_text, sign_bundle, write_key_pair
from inferplane.packaging import default_cache
from inferplane.packaging.oci import ImageConfig, Layout, platform, write_archive
from inferplane.packaging.router_image import RouterImage, image_config
from inferplane.packaging.source import router_files
from inferplane.packaging.tarball import Entry
from inferplane.spec import StackSpec, load_stack

__all__ = [
    "TEST_KEY",
    "TEST_SIGNED_AT",
    "FakeSite",
    "SiteBundle",
    "build_site_bundle",
    "dev_spec",
    "fetch_images",
    "pinned_image",
    "relist",
    "resign",
    "signing_key_file",
    "systemd_spec",
]

ROOT = Path(__file__).resolve().parents[2]

TEST_KEY = SecretKey(b"inferpl\x01", hashlib.sha256(b"inferplane test-only signing key").digest())
"""TEST ONLY: a fixed signing key, so bundles built in two places stay byte-identical."""
TEST_SIGNED_AT = 1_780_000_000
"""TEST ONLY: the fixed signing time (2026-05-28) of every bundle built or re-signed here."""
_KEY_DIR = Path(tempfile.mkdtemp(prefix="inferplane-test-key-"))


def signing_key_file() -> Path:
    """The test-only secret key's file (its public key is ``<same>.pub``)."""
    secret = _KEY_DIR / "test.key"
    if not secret.is_file():
        write_key_pair(TEST_KEY, secret, secret.with_suffix(".pub"))
    return secret


def relist(bundle: Path) -> None:
    """Rewrite manifest.json's ``files`` after a test edited the bundle (as a build would)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    files = {}
    for path in sorted(bundle.rglob("*")):
        relative = path.relative_to(bundle).as_posix()
        if path.is_file() and relative not in ("manifest.json", SIGNATURE):
            if relative.startswith("k3s/agent/images/model-") or relative.startswith(
                "k3s/agent/images/nvidia"
            ):
                continue  # fetched images: listed by digest, not in files
            data = path.read_bytes()
            files[relative] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["files"] = files
    (bundle / "manifest.json").write_text(json.dumps(manifest, sort_keys=True))


def resign(bundle: Path) -> None:
    """Sign ``bundle`` again with the test key (after pack-model rewrote its manifest)."""
    sign_bundle(bundle, TEST_KEY, TEST_SIGNED_AT)


SHIMS = ("k3s", "podman", "systemctl", "launchctl", "umoci", "skopeo", "curl")


def pinned_image(directory: Path, name: str) -> tuple[Path, str]:
    """A one-layer OCI archive named ``name``; returns (archive, manifest digest)."""
    layout = Layout.create(directory / f"{name}-layout")
    layer = layout.add_layer([Entry.file(f"srv/{name}", name.encode())], comment=name)
    config = ImageConfig(entrypoint=("/bin/true",), cmd=(), env=(), user="0:0")
    manifest = layout.add_image(platform("amd64"), [layer], config)
    layout.write_index({"latest": manifest})
    archive = directory / f"{name}.tar"
    write_archive(layout.path, archive)
    return archive, manifest.digest


def _small_router_image(
    source_root: Path, out_dir: Path, cache: Path, *, arches: Any = ("amd64",), **_: Any
) -> RouterImage:
    """build_router_image's layout and refs, with the router package as the only layer."""
    layout = Layout.create(out_dir / "router-oci")
    entries = [
        Entry(f"app/{name}", "file", 0o644, source=path)
        for name, path in router_files(source_root, require="__main__.py")
    ]
    layer = layout.add_layer(entries, comment="router package")
    manifests = {a: layout.add_image(platform(a), [layer], image_config("python3")) for a in arches}
    index = layout.add_index(list(manifests.values()))
    tag = index.digest.removeprefix("sha256:")[:12]
    layout.write_index({tag: index, **{f"{tag}-{a}": m for a, m in manifests.items()}})
    archive = out_dir / "router-oci.tar"
    write_archive(layout.path, archive)
    return RouterImage(layout.path, archive, tag, index, manifests)


@dataclass(frozen=True)
class SiteBundle:
    path: Path
    built: builder.Bundle
    archives: dict[str, Path]
    """Image ref -> the archive the skopeo shim hands out for it."""


@contextmanager
def _small_router(enabled: bool) -> Iterator[None]:
    with (
        patch.object(linux_builder, "build_router_image", _small_router_image)
        if enabled
        else nullcontext()
    ):
        yield


def build_site_bundle(
    spec: StackSpec,
    stack: str,
    site: str,
    source_root: Path,
    out: Path,
    *,
    images: Mapping[str, str] | None = None,
    real_router_image: bool = False,
    weights: Mapping[str, Path] | None = None,
    secrets: Path | None = None,
    signed: bool = True,
    more: Mapping[str, Any] | None = None,
) -> SiteBundle:
    """Build ``site``'s bundle with every model image (and the device plugin on GPU
    sites) pinned to a small archive made here."""
    work = out.parent / f"{out.name}-images"
    work.mkdir(parents=True, exist_ok=True)
    pins: dict[str, str] = dict(images or {})
    archives: dict[str, Path] = {}
    targets = [n for n, t in spec.targets.items() if getattr(t, "site", None) == site]
    gpu = any(
        getattr(spec.targets[n], "profile", "") in ("x86-nvidia", "jetson-orin") for n in targets
    )
    for name in [*targets, *(["nvidia-device-plugin"] if gpu else [])]:
        archive, digest = pinned_image(work, name)
        ref = f"registry.example/site/{name}:v1@{digest}"
        pins.setdefault(name, ref)
        archives[pins[name]] = archive
    inputs = BundleInputs(
        spec=spec, stack=stack, site=site, source_root=source_root, cache=default_cache(ROOT),
        images=pins, weights=dict(weights or {}), secrets=secrets,
        signing_key=signing_key_file() if signed else None, signed_at=TEST_SIGNED_AT,
        **dict(more or {}),
    )  # fmt: skip
    with _small_router(not real_router_image):
        built = build_bundle(inputs, out)
    return SiteBundle(out, built, archives)


class FakeSite:
    """A temporary root and recording shims."""

    def __init__(self, tmp: Path, archives: Mapping[str, Path] | None = None) -> None:
        self.root = tmp / "site"
        self.root.mkdir(parents=True)
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.log = tmp / "calls.log"
        self.archives = dict(archives or {})
        for tool in SHIMS:
            stub = self.bin / tool
            stub.write_text(self._shim(tool))
            stub.chmod(0o755)
        # Trusted like a site provisioned from its seed.
        trusted = self.root / "etc/inferplane/trusted-keys" / f"{TEST_KEY.public.name}.pub"
        trusted.parent.mkdir(parents=True)
        trusted.write_text(public_key_text(TEST_KEY.public))

    def _shim(self, tool: str) -> str:
        body = f'#!/bin/bash\nprintf "%s\\n" "{tool} $*" >> {self.log}\n'
        if tool == "umoci":
            # umoci unpack --image SRC DEST: a rootfs appears at DEST.
            body += 'if [ "$1" = unpack ]; then mkdir -p "$4/rootfs"; fi\n'
        if tool == "skopeo":
            # skopeo copy --all --preserve-digests docker://REF oci-archive:PATH:NAME
            cases = "".join(
                f"  docker://{ref}) src={archive} ;;\n" for ref, archive in self.archives.items()
            )
            body += (
                'ref="$4"; dest="${5#oci-archive:}"; dest="${dest%%.tar:*}.tar"\n'
                f'case "$ref" in\n{cases}  *) echo "no such image $ref" >&2; exit 1 ;;\nesac\n'
                'cp "$src" "$dest"\n'
            )
        if tool == "curl":
            body += '[ -e "$(dirname "$0")/unhealthy" ] && exit 7\n'
        return body + "exit 0\n"

    def env(self, **more: str) -> dict[str, str]:
        keys = str(self.root / "etc/inferplane/trusted-keys")
        return {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "INFERPLANE_TRUSTED_KEYS": keys,
            **more,
        }

    def run(
        self, argv: list[str], stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, input=stdin, env=self.env(**env), capture_output=True, text=True, check=False
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def put(self, site_path: str, source: Path) -> None:
        target = self.root / site_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)

    def files(self, site_dir: str) -> set[str]:
        base = self.root / site_dir.lstrip("/")
        return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}


def dev_spec() -> StackSpec:
    """The dev stack: austin-lab, an x86-nvidia site (k3s, GPU)."""
    return load_stack(ROOT, "dev").spec


def systemd_spec() -> StackSpec:
    """The dev stack with austin-lab as a CPU box that runs systemd units (no k3s)."""
    spec = dev_spec()
    lab = spec.targets["llama-lab"].model_copy(update={"profile": "cpu", "runtime": "systemd"})
    return spec.model_copy(update={"targets": {**spec.targets, "llama-lab": lab}})


def fetch_images(site_bundle: SiteBundle, tmp: Path) -> Bundle:
    """Run the bundle's real fetch-images.sh (skopeo shimmed) and read the bundle as
    EdgeSite does."""
    shims = FakeSite(tmp, site_bundle.archives)
    done = shims.run([str(site_bundle.path / "fetch-images.sh")])
    if done.returncode != 0:
        raise AssertionError(f"fetch-images.sh failed: {done.stderr}")
    return read_bundle(site_bundle.path)
