"""k3s itself in the bundle, for sites with nothing installed and no network: the k3s
binary, its install script and its airgap images tarball, per architecture, taken from a
local directory (``edge build --k3s-dir``) and checked against pinned sha256 sums.

The build never downloads. Fetch the files where GitHub is reachable (the URLs are in
``K3S_RELEASES``), put them in one directory under their upstream names, and pass it::

    k3s                                  (amd64 binary)    k3s-arm64       (arm64 binary)
    k3s-airgap-images-amd64.tar.zst      k3s-airgap-images-arm64.tar.zst
    install.sh                           (the script at the release's tag)

Each file is compared with the table; a mismatch or an unknown version refuses the
build. In the bundle they sit at ``k3s/bin/``, ``k3s/install/`` and
``k3s/agent/images/`` (which the installer copies to the site's
``/var/lib/rancher/k3s/agent/images``, where k3s imports airgap tarballs at start),
listed in ``manifest.json`` with their sha256 like every other file and in
``install.k3s.runtime``.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote as url_quote

from inferplane.components.edge.layout import K3S_BIN, K3S_IMAGES, K3S_INSTALL_SCRIPT, K3sRuntime
from inferplane.errors import BuildError

__all__ = ["DEFAULT_K3S", "K3S_RELEASES", "K3sFile", "K3sRelease", "pack_k3s", "upstream_names"]


@dataclass(frozen=True)
class K3sFile:
    """One upstream file: its name in the release and its sha256 (``None``: not pinned;
    the build records what it was given and says so)."""

    name: str
    sha256: str | None


@dataclass(frozen=True)
class K3sRelease:
    version: str
    checked: str
    """When and how the sums were taken (the table is dated, not live)."""
    binaries: Mapping[str, K3sFile]
    airgap: Mapping[str, K3sFile]
    install_script: K3sFile

    def url(self, name: str) -> str:
        if name == "install.sh":
            return (
                f"https://raw.githubusercontent.com/k3s-io/k3s/{url_quote(self.version)}/install.sh"
            )
        return f"https://github.com/k3s-io/k3s/releases/download/{url_quote(self.version)}/{name}"


K3S_RELEASES: dict[str, K3sRelease] = {
    "v1.34.2+k3s1": K3sRelease(
        version="v1.34.2+k3s1",
        # Taken 2026-11 from a public pin of upstream's sha256sum-amd64.txt and
        # sha256sum-arm64.txt; NOT re-checked here against GitHub (no access from the
        # build machine). Compare them with the release's sha256sum-<arch>.txt before
        # relying on them; a mismatch makes the build refuse, never pass.
        checked="2026-11, from a public pin of sha256sum-{amd64,arm64}.txt; unverified here",
        binaries={
            "amd64": K3sFile(
                "k3s", "15811d34187e03fe29d0e46108c42cc33e62cec1b3d9d80f50944536ebcad40a"
            ),
            "arm64": K3sFile(
                "k3s-arm64", "2e1db0e54a8b0d0ab8a264a119c9c617561f9290e7bb2722d795f8bc91b24cf8"
            ),
        },
        airgap={
            "amd64": K3sFile(
                "k3s-airgap-images-amd64.tar.zst",
                "24359781bd775f513691e98031853d79eac53e265f7d72d1e7325df4f3b18eb0",
            ),
            "arm64": K3sFile(
                "k3s-airgap-images-arm64.tar.zst",
                "41b34aab92bc5166135dc73217ead65766688fd3543166ce32ffff7e101bef46",
            ),
        },
        # get.k3s.io is not versioned and upstream publishes no sum for the script at a
        # tag: recorded (sha256 in manifest.json, signed with it) and reported, not pinned.
        install_script=K3sFile("install.sh", None),
    ),
}
DEFAULT_K3S = "v1.34.2+k3s1"


def upstream_names(release: K3sRelease, arches: tuple[str, ...]) -> list[str]:
    return [
        *(release.binaries[a].name for a in arches),
        *(release.airgap[a].name for a in arches),
        release.install_script.name,
    ]


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def pack_k3s(
    source: Path,
    out: Path,
    arches: tuple[str, ...],
    version: str = DEFAULT_K3S,
    *,
    releases: Mapping[str, K3sRelease] | None = None,
) -> tuple[K3sRuntime, list[str]]:
    """Copy the release's files for ``arches`` from ``source`` into the bundle ``out``,
    each checked against the table; returns the plan entry and notes for the operator.
    ``releases`` replaces ``K3S_RELEASES`` -- TEST ONLY (stand-in files, made-up sums)."""
    table = K3S_RELEASES if releases is None else releases
    release = table.get(version)
    if release is None:
        raise BuildError(
            f"--k3s-version {version!r} has no pinned sums; allowed: {', '.join(sorted(table))}"
        )
    missing = [a for a in arches if a not in release.binaries or a not in release.airgap]
    if missing:
        raise BuildError(f"k3s {version} has no pinned files for {', '.join(missing)}")
    notes: list[str] = []
    wanted = [
        *((release.binaries[a], f"{K3S_BIN}/k3s-{a}") for a in arches),
        *((release.airgap[a], f"{K3S_IMAGES}/{release.airgap[a].name}") for a in arches),
        (release.install_script, K3S_INSTALL_SCRIPT),
    ]
    absent = [f.name for f, _ in wanted if not (source / f.name).is_file()]
    if absent:
        raise BuildError(
            f"--k3s-dir {source} lacks {', '.join(absent)}; fetch them where GitHub is "
            f"reachable: {', '.join(release.url(n) for n in absent)}"
        )
    for pinned, target in wanted:
        found = _sha256(source / pinned.name)
        if pinned.sha256 is None:
            notes.append(
                f"k3s {pinned.name} is not pinned upstream; packed with sha256 {found} "
                f"(compare it with {release.url(pinned.name)})"
            )
        elif found != pinned.sha256:
            raise BuildError(
                f"{source / pinned.name}: sha256 {found} is not k3s {version}'s "
                f"{pinned.sha256} ({release.url(pinned.name)}); refusing to pack it"
            )
        destination = out / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / pinned.name, destination)
        destination.chmod(0o755 if target.startswith(K3S_BIN) or target.endswith(".sh") else 0o644)
    runtime = K3sRuntime(
        version=version,
        binaries=tuple((a, f"{K3S_BIN}/k3s-{a}") for a in arches),
        airgap=tuple((a, f"{K3S_IMAGES}/{release.airgap[a].name}") for a in arches),
        install_script=K3S_INSTALL_SCRIPT,
    )
    return runtime, notes
