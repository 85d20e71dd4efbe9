"""Reading the install plan back from a bundle's manifest.json: every key checked, every
path a plain relative path (they end up in shell scripts); errors name the key."""

from __future__ import annotations

import re
from typing import Any

from inferplane.components.edge.layout.paths import MODELS_DIR
from inferplane.components.edge.layout.plan import InstallPlan, K3sRuntime, ModelImage, ModelWeights

__all__ = ["plan_from_manifest"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PATH = re.compile(r"^[A-Za-z0-9._/+-]+$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HEALTH_URL = re.compile(r"^https?://127\.0\.0\.1:[0-9]{1,5}/[A-Za-z0-9._/-]*$")


def plan_from_manifest(document: Any, where: str) -> InstallPlan:
    """The ``install`` section of a manifest.json; ValueError naming the bad key."""
    section = document.get("install") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ValueError(
            f"{where} has no 'install' section; rebuild the bundle with `inferplane edge build`"
        )
    k3s = _section(section, "k3s", where)
    systemd = _section(section, "systemd", where)
    launchd = _section(section, "launchd", where)
    urls, deployments = _health(section, where)
    return InstallPlan(
        k3s_images=_paths(k3s, "images", f"{where} install.k3s"),
        k3s_manifests=_paths(k3s, "manifests", f"{where} install.k3s"),
        k3s_registries=_optional_path(k3s.get("registries"), f"{where} install.k3s.registries"),
        systemd_units=_paths(systemd, "units", f"{where} install.systemd"),
        systemd_config=_optional_path(systemd.get("config"), f"{where} install.systemd.config"),
        router_oci_tag=_router_tag(systemd, where),
        router_arches=_router_arches(systemd, where),
        launchd_plists=_paths(launchd, "plists", f"{where} install.launchd"),
        mac_python=_mac_python(launchd, where),
        images=_images(section, where),
        weights=_weights(section, where),
        health=urls,
        deployments=deployments,
        readme=_optional_path(section.get("readme"), f"{where} install.readme"),
        k3s_runtime=_k3s_runtime(k3s, where),
    )


def _image(name: str, entry: Any, where: str) -> ModelImage:
    key = f"{where} install.images.{name}"
    if not isinstance(entry, dict) or not _NAME.match(str(name)):
        raise ValueError(f"{key} is not an image entry")
    ref, digest, archive = (entry.get(k) for k in ("ref", "digest", "archive"))
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValueError(f"{key}.digest {digest!r} is not sha256:<64 hex>")
    if not isinstance(ref, str) or not ref.endswith("@" + digest):
        raise ValueError(f"{key}.ref {ref!r} is not pinned to {digest}")
    k3s_only = entry.get("k3s_only", False) is True
    return ModelImage(str(name), ref, digest, _path(archive, f"{key}.archive"), k3s_only)


def _images(section: dict[str, Any], where: str) -> tuple[ModelImage, ...]:
    images = section.get("images", {})
    if not isinstance(images, dict):
        raise ValueError(f"{where} install.images is not a mapping")
    return tuple(_image(name, entry, where) for name, entry in sorted(images.items()))


def _router_tag(systemd: dict[str, Any], where: str) -> str | None:
    tag = systemd.get("router_oci_tag")
    if tag is not None and (not isinstance(tag, str) or not _NAME.match(tag)):
        raise ValueError(f"{where} install.systemd.router_oci_tag {tag!r} is not an image tag")
    return tag


def _router_arches(systemd: dict[str, Any], where: str) -> tuple[str, ...]:
    arches = tuple(str(a) for a in systemd.get("router_arches", ()))
    if any(a not in ("amd64", "arm64") for a in arches):
        raise ValueError(f"{where} install.systemd.router_arches {arches!r}; allowed: amd64, arm64")
    return arches


def _mac_python(launchd: dict[str, Any], where: str) -> str | None:
    python = launchd.get("python")
    if python is not None and (
        not isinstance(python, str) or not re.match(r"^python3\.\d+$", python)
    ):
        raise ValueError(f"{where} install.launchd.python {python!r} is not python3.<minor>")
    return python


def _k3s_runtime(k3s: dict[str, Any], where: str) -> K3sRuntime | None:
    runtime = k3s.get("runtime")
    if runtime is None:
        return None
    key = f"{where} install.k3s.runtime"
    if not isinstance(runtime, dict):
        raise ValueError(f"{key} is not a mapping")
    version = runtime.get("version")
    if not isinstance(version, str) or not re.match(
        r"^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$", version
    ):
        raise ValueError(f"{key}.version {version!r} is not a k3s version (v1.34.2+k3s1)")
    per_arch = []
    for name in ("binaries", "airgap"):
        entries = runtime.get(name)
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f"{key}.{name} is not a mapping of arch -> path")
        if any(arch not in ("amd64", "arm64") for arch in entries):
            raise ValueError(f"{key}.{name} {sorted(entries)!r}; allowed: amd64, arm64")
        per_arch.append(
            tuple((arch, _path(p, f"{key}.{name}.{arch}")) for arch, p in sorted(entries.items()))
        )
    script = _path(runtime.get("install_script"), f"{key}.install_script")
    return K3sRuntime(version, per_arch[0], per_arch[1], script)


def _weights(section: dict[str, Any], where: str) -> tuple[ModelWeights, ...]:
    weights = section.get("weights", {})
    if not isinstance(weights, dict):
        raise ValueError(f"{where} install.weights is not a mapping")
    packed = []
    for target, entry in sorted(weights.items()):
        key = f"{where} install.weights.{target}"
        if not isinstance(entry, dict) or not _NAME.match(str(target)):
            raise ValueError(f"{key} is not a weights entry")
        files = _paths(entry, "files", key)
        prefix = f"{MODELS_DIR}/{target}/"
        outside = [f for f in files if not f.startswith(prefix)]
        if outside or not files:
            raise ValueError(f"{key}.files {outside or files!r}: allowed: paths under {prefix}")
        total = entry.get("bytes")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"{key}.bytes {total!r} is not a byte count")
        packed.append(ModelWeights(str(target), files, total))
    return tuple(packed)


def _health(
    section: dict[str, Any], where: str
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    health = _section(section, "health", where)
    urls = []
    for runtime in ("k3s", "systemd"):
        listed = health.get(runtime, [])
        if not isinstance(listed, list) or not all(
            isinstance(u, str) and _HEALTH_URL.match(u) for u in listed
        ):
            raise ValueError(
                f"{where} install.health.{runtime} {listed!r}: allowed: a list of "
                "http(s)://127.0.0.1:<port>/<path> URLs"
            )
        if listed:
            urls.append((runtime, tuple(listed)))
    deployments = health.get("deployments", [])
    if not isinstance(deployments, list) or not all(
        isinstance(d, str) and _NAME.match(d) for d in deployments
    ):
        raise ValueError(f"{where} install.health.deployments {deployments!r}: allowed: names")
    return tuple(urls), tuple(deployments)


def _section(section: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    found = section.get(name, {})
    if not isinstance(found, dict):
        raise ValueError(f"{where} install.{name} is not a mapping")
    return found


def _paths(section: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    listed = section.get(key, [])
    if not isinstance(listed, list):
        raise ValueError(f"{where}.{key} is not a list")
    return tuple(_path(p, f"{where}.{key}") for p in listed)


def _optional_path(value: Any, where: str) -> str | None:
    return None if value is None else _path(value, where)


def _path(value: Any, where: str) -> str:
    # Paths end up in shell scripts: plain relative paths only.
    if (
        not isinstance(value, str)
        or not _PATH.match(value)
        or value.startswith("/")
        or ".." in value.split("/")
    ):
        raise ValueError(f"{where}: {value!r} is not a plain relative path in the bundle")
    return value
