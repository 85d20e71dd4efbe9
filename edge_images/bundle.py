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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from inferplane.components.edge.layout import (
    BUNDLE_README,
    K3S_IMAGES,
    K3S_MANIFESTS,
    K3S_REGISTRIES,
    LAUNCHD_DIR,
    MACOS_DIR,
    ROUTER_OCI,
    SITE_CA,
    SITE_TLS_CERT,
    SITE_TLS_KEY,
    SITE_TRUSTED_KEYS,
    SYSTEMD_CONFIG,
    SYSTEMD_DIR,
    InstallPlan,
    ModelImage,
)
from inferplane.edge_images import host_tools, launchd, manifests, scripts, seed, systemd
from inferplane.edge_images.k3s import DEFAULT_K3S, K3sRelease, pack_k3s
from inferplane.edge_images.profiles import DIGEST_REF, Profile, load_profile
from inferplane.edge_images.readme import bundle_readme
from inferplane.edge_images.secrets import SiteSecrets, secrets_dir, site_secrets
from inferplane.edge_images.signing import (
    SecretKey,
    read_secret_key,
    read_trusted,
    sign_bundle,
    trust_files,
)
from inferplane.edge_images.site import Site, site_names, site_router_config
from inferplane.edge_images.weights import pack_model
from inferplane.errors import BuildError
from inferplane.packaging.oci import canonical_json
from inferplane.packaging.rootfs import BaseSystem
from inferplane.packaging.router_image import (
    CONTAINERD_NAME,
    IMAGE_NAME,
    RouterImage,
    build_router_image,
    write_named_archive,
)
from inferplane.packaging.source import router_files
from inferplane.packaging.wheels import LOCK_FILE, Target, download_wheels, lock_text
from inferplane.router.contract import ROUTER_PORT
from inferplane.serving import EngineCommand, render
from inferplane.spec import StackSpec
from inferplane.spec.targets.selfhosted import cache_floor_gib

__all__ = ["MAC_PYTHON", "Bundle", "BundleInputs", "build_bundle"]

MAC_PYTHON = "3.12"
"""Homebrew's python@3.12: the interpreter the macOS router venv is built with."""
DEVICE_PLUGIN = "nvidia-device-plugin"
"""Image override key (``--image nvidia-device-plugin=...``) for the NVIDIA device plugin."""
ROUTER_HEALTH = f"https://127.0.0.1:{ROUTER_PORT}/healthz"
"""The site's router on loopback (its certificate names 127.0.0.1): the release gate."""
HOST_PORT_BASE = 18080
"""Loopback ports of model servers under systemd/launchd: 18080, 18081, ..."""
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
    k3s_dir: Path | None = None
    """A directory holding k3s's release files under their upstream names
    (``edge_images.k3s``): packed for Linux profiles, each checked against its pin."""
    k3s_version: str = DEFAULT_K3S
    k3s_releases: Mapping[str, K3sRelease] | None = None
    """TEST ONLY: replaces ``edge_images.k3s.K3S_RELEASES`` (stand-in files)."""


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


@dataclass(frozen=True)
class _Server:
    model: manifests.ModelServer
    host_port: int

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def engine(self) -> str:
        return self.model.engine

    @property
    def image(self) -> str:
        return self.model.image

    @property
    def command(self) -> EngineCommand:
        return self.model.command


def build_bundle(inputs: BundleInputs, out: Path, progress: Progress | None = None) -> Bundle:
    say = progress or (lambda _message: None)
    site = Site.from_spec(inputs.spec, inputs.stack, inputs.site)
    if inputs.profile is not None and inputs.profile != site.profile:
        raise BuildError(
            f"site {site.name!r} runs profile {site.profile!r} in stack {inputs.stack!r}, "
            f"not {inputs.profile!r}"
        )
    profile = load_profile(site.profile)
    # Every program the build runs, checked before any work (not one at a time, minutes in).
    host_tools.require(
        host_tools.needed(profile.arches, profile.containers, inputs.base, inputs.cache),
        root=host_tools.needs_root(profile.arches, profile.containers, inputs.base, inputs.cache),
    )
    unknown = sorted(set(inputs.images) - set(site.targets) - {DEVICE_PLUGIN})
    if unknown:
        raise BuildError(
            f"image overrides name unknown targets {unknown}; the site's targets: "
            f"{', '.join(site.targets)} (and {DEVICE_PLUGIN} on GPU profiles)"
        )
    plugin = inputs.images.get(DEVICE_PLUGIN)
    if plugin is not None:
        if not (profile.gpu and profile.containers) or not DIGEST_REF.match(plugin):
            raise BuildError(
                f"--image {DEVICE_PLUGIN}={plugin!r}: allowed only on GPU profiles, as "
                "repo:tag@sha256:<digest>"
            )
        # A site may mirror the plugin image; the profile's pin is the default.
        profile = profile.model_copy(update={"device_plugin": plugin})
    servers = _servers(site, profile, inputs.images)
    unpacked = sorted(set(inputs.weights) - set(site.targets))
    if unpacked:
        raise BuildError(
            f"--weights names unknown targets {unpacked}; the site's targets: "
            f"{', '.join(site.targets)}"
        )
    key = read_secret_key(inputs.signing_key) if inputs.signing_key is not None else None
    if inputs.trust_keys and key is None:
        raise BuildError(
            "--trust-key needs --signing-key: sites adopt new keys only from signed releases"
        )
    trusted = trust_files(key, [read_trusted(p) for p in inputs.trust_keys])
    where = inputs.secrets or secrets_dir(out)
    # The bundle directory is replaced and copied whole: its secrets live beside it.
    if out.resolve() in (where.resolve(), *where.resolve().parents):
        raise BuildError(f"the secrets directory {where} must be outside the bundle {out}")
    secrets = site_secrets(where, site.name, site_names(site), rotate_key=inputs.rotate_key)
    site = replace(site, keys=secrets.keys)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say(f"site {site.name}: profile {profile.name} ({', '.join(profile.arches)}), "
        f"targets {', '.join(site.targets)}")  # fmt: skip
    image = None
    for path, text in trusted.items():
        _write(out / path, text)
    if profile.containers:
        image, plan = _linux_bundle(
            inputs, site, profile, servers, out, secrets=secrets, trusted=trusted, say=say
        )
    else:
        plan = _mac_bundle(inputs, site, servers, out, say)
    say("manifest.json")
    files = _write_manifest(out, inputs, site, profile, servers, image=image, plan=plan)
    for target, source in sorted(inputs.weights.items()):
        say(f"weights of {target} from {source}")
        pack_model(out, target, source)
    if inputs.weights:
        files = json.loads((out / "manifest.json").read_bytes())["files"]
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    signed_by = _sign(out, key, say)
    return Bundle(out, profile.name, files, digest, image, secrets, signed_by)


def _sign(out: Path, key: SecretKey | None, say: Progress) -> str | None:
    if key is None:
        say("unsigned (no --signing-key): sites refuse it unless installed --allow-unsigned")
        return None
    signer = sign_bundle(out, key)
    say(f"manifest.json signed by key {signer}")
    return signer


def _servers(site: Site, profile: Profile, overrides: Mapping[str, str]) -> list[_Server]:
    servers = []
    for index, (name, target) in enumerate(site.targets.items()):
        engine = target.serving.engine
        native = profile.engines.get(engine)
        if native is None:
            raise BuildError(
                f"target {name!r}: profile {profile.name!r} has no {engine!r} server; "
                f"it offers {', '.join(sorted(profile.engines))}"
            )
        command = render(target.model, target.serving)
        image = overrides.get(name) or target.serving.image or native.image or ""
        # Pinned references only, in a grammar with no shell metacharacters (the image
        # reaches fetch-images.sh, units and manifests).
        if profile.containers and not DIGEST_REF.match(image):
            raise BuildError(
                f"target {name!r}: model-server image {image!r} is not pinned by digest. "
                f"Set targets.{name}.serving.image to repo:tag@sha256:<digest> or pass "
                f"--image {name}=repo:tag@sha256:<digest> (resolve it where the registry "
                "is reachable: skopeo inspect --format '{{.Digest}}' docker://repo:tag)"
            )
        model = manifests.ModelServer(
            name,
            image,
            command,
            int(profile.gpu),
            engine,
            target.model,
            cache_floor_gib(target.model, target.serving),
        )
        servers.append(_Server(model, HOST_PORT_BASE + index))
    return servers


def _model_files(command: EngineCommand) -> list[str]:
    """The weight files a server opens, below its models directory (``/models``)."""
    return [
        arg.removeprefix("/models/")
        for arg in command.args
        if arg.startswith("/models/") and arg != "/models/"
    ]


def _model_urls_k8s(servers: list[_Server]) -> dict[str, str]:
    return {
        s.name: f"http://{s.name}.{manifests.NAMESPACE}.svc.cluster.local:{s.command.port}"
        f"{s.command.openai_base_path}"
        for s in servers
    }


def _model_urls_host(servers: list[_Server]) -> dict[str, str]:
    return {s.name: f"http://127.0.0.1:{s.host_port}{s.command.openai_base_path}" for s in servers}


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def _yaml_docs(docs: list[dict[str, Any]]) -> str:
    return "".join(
        "---\n" + yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, width=1000)
        for doc in docs
    )


def _linux_bundle(
    inputs: BundleInputs,
    site: Site,
    profile: Profile,
    servers: list[_Server],
    out: Path,
    *,
    secrets: SiteSecrets,
    trusted: Mapping[str, str],
    say: Progress,
) -> tuple[RouterImage, InstallPlan]:
    image = build_router_image(
        inputs.source_root,
        (out / ROUTER_OCI).parent,
        inputs.cache,
        arches=profile.arches,
        base=inputs.base,
        progress=say,
    )
    if image.layout != out / ROUTER_OCI:
        raise BuildError(f"router image written to {image.layout}, not {out / ROUTER_OCI}")
    say(f"router image {image.reference()}")
    say("k3s airgap bundle")
    router_archive = f"{K3S_IMAGES}/inferplane-router.tar"
    write_named_archive(image, out / router_archive)
    k8s_config = site_router_config(site, _model_urls_k8s(servers)).to_json()
    docs = manifests.router_objects(site.name, image.reference(), k8s_config)
    k3s_manifests = {"inferplane-router.yaml": _yaml_docs(docs)}
    runtime_class = "nvidia" if profile.gpu else None
    for server in servers:
        docs = manifests.model_server_objects(site.name, server.model, runtime_class)
        k3s_manifests[f"inferplane-model-{server.name}.yaml"] = _yaml_docs(docs)
    if profile.gpu and profile.device_plugin is not None:
        docs = manifests.gpu_objects(site.name, profile.device_plugin, "nvidia")
        k3s_manifests["nvidia-device-plugin.yaml"] = _yaml_docs(docs)
    for name, text in k3s_manifests.items():
        _write(out / K3S_MANIFESTS / name, text)
    _write(out / K3S_REGISTRIES, _registries(servers, profile, inputs.registry_mirror))
    say("systemd units")
    units = _systemd(site, profile, servers, inputs.base)
    for name, text in units.items():
        _write(out / SYSTEMD_DIR / name, text)
    say("cloud-init seed")
    # The seed provisions the site's trusted signing keys with everything else.
    keys = {f"{SITE_TRUSTED_KEYS}/{p.rsplit('/', 1)[-1]}": t for p, t in trusted.items()}
    _seed(site, units, out / "seed", keys=keys)
    # The same first boot with the site's TLS files: for devices provisioned from the
    # seed alone (and the VM boot test). It holds the private key, so it lives with the
    # secrets, never in the bundle.
    _seed(site, units, secrets.directory / "seed", tls=secrets, keys=keys)
    services = [unit for unit in units if unit.endswith(".service")]
    health = (
        # ServiceLB publishes the router on the node; the model servers are cluster-only
        # (their Deployments' rollout is the gate there).
        ("k3s", (ROUTER_HEALTH,)),
        (
            "systemd",
            (
                ROUTER_HEALTH,
                *(f"http://127.0.0.1:{s.host_port}{s.command.health_path}" for s in servers),
            ),
        ),
    )
    k3s_runtime = None
    if inputs.k3s_dir is not None:
        say(f"k3s {inputs.k3s_version} from {inputs.k3s_dir}")
        k3s_runtime, notes = pack_k3s(
            inputs.k3s_dir,
            out,
            profile.arches,
            inputs.k3s_version,
            releases=inputs.k3s_releases,
        )
        for note in notes:
            say(note)
    model_files = [(s.name, site.targets[s.name].model, _model_files(s.command)) for s in servers]
    readme = bundle_readme(site.name, profile.name, profile.arches, model_files, health[1][1])
    _write(out / BUNDLE_README, readme)
    plan = InstallPlan(
        k3s_images=(router_archive,),
        k3s_manifests=tuple(f"{K3S_MANIFESTS}/{name}" for name in sorted(k3s_manifests)),
        k3s_registries=K3S_REGISTRIES,
        systemd_units=tuple(f"{SYSTEMD_DIR}/{name}" for name in services),
        systemd_config=SYSTEMD_CONFIG,
        router_oci_tag=image.tag,
        router_arches=tuple(sorted(image.manifests)),
        images=_pulled_images(servers, profile),
        health=health,
        deployments=tuple(s.name for s in servers),
        readme=BUNDLE_README,
        k3s_runtime=k3s_runtime,
    )
    _write(out / "install.sh", scripts.install_sh(plan))
    _write(out / "fetch-images.sh", scripts.fetch_images_sh(plan.images))
    (out / "install.sh").chmod(0o755)
    (out / "fetch-images.sh").chmod(0o755)
    return image, plan


def _pulled_images(servers: list[_Server], profile: Profile) -> tuple[ModelImage, ...]:
    """The pinned images fetch-images.sh brings into the bundle (model servers, and the
    NVIDIA device plugin on GPU sites under k3s)."""
    images = [_model_image(f"model-{s.name}", s.image) for s in servers]
    if profile.gpu and profile.device_plugin is not None:
        images.append(_model_image(DEVICE_PLUGIN, profile.device_plugin, k3s_only=True))
    return tuple(images)


def _model_image(name: str, ref: str, *, k3s_only: bool = False) -> ModelImage:
    digest = ref.rsplit("@", 1)[1]
    return ModelImage(name, ref, digest, f"{K3S_IMAGES}/{name}.tar", k3s_only)


def _registries(servers: list[_Server], profile: Profile, mirror: str | None) -> str:
    """k3s registries.yaml: the registries the site's pinned images come from. Without a
    site mirror the entries are empty, which turns on k3s's embedded (peer-to-peer)
    registry mirror for them when k3s runs with --embedded-registry."""
    refs = [s.image for s in servers] + ([profile.device_plugin] if profile.device_plugin else [])
    hosts = sorted({_registry_host(ref) for ref in refs})
    entry: dict[str, Any] = {"endpoint": [mirror]} if mirror else {}
    return yaml.safe_dump({"mirrors": {host: dict(entry) for host in hosts}}, sort_keys=True)


def _registry_host(ref: str) -> str:
    first = ref.split("/", 1)[0]
    return first if "." in first or ":" in first or first == "localhost" else "docker.io"


def _systemd(
    site: Site, profile: Profile, servers: list[_Server], base: BaseSystem
) -> dict[str, str]:
    units: dict[str, str] = {}
    names = []
    for server in servers:
        name = systemd.unit_name(server.model)
        units[name] = systemd.model_server_unit(server.model, server.host_port, profile.gpu)
        names.append(name)
    units[systemd.ROUTER_UNIT] = systemd.router_unit(base.python, names)
    units["router.json"] = site_router_config(site, _model_urls_host(servers)).to_json() + "\n"
    return dict(sorted(units.items()))


def _seed(
    site: Site,
    units: dict[str, str],
    out: Path,
    tls: SiteSecrets | None = None,
    keys: Mapping[str, str] | None = None,
) -> None:
    hostname = f"{site.name}-edge"
    files = {
        (systemd.HOST_CONFIG if name == "router.json" else f"/etc/systemd/system/{name}"): text
        for name, text in units.items()
    }
    files.update(keys or {})
    private: set[str] = set()
    if tls is not None:
        for path, source in ((SITE_TLS_CERT, tls.cert), (SITE_CA, tls.ca), (SITE_TLS_KEY, tls.key)):
            files[path] = source.read_text()
        private.add(SITE_TLS_KEY)
    services = [name for name in units if name.endswith(".service")]
    user_data = seed.user_data(hostname, files, enable=services, start=services, private=private)
    texts = {
        "user-data": user_data,
        "meta-data": seed.meta_data(site.name, hostname, user_data),
        "network-config": seed.network_config(),
    }
    for name, text in texts.items():
        _write(out / name, text)
    seed.write_seed_iso(texts, out / "seed.iso")


def _mac_bundle(
    inputs: BundleInputs, site: Site, servers: list[_Server], out: Path, say: Progress
) -> InstallPlan:
    profile = load_profile(site.profile)
    mac = out / MACOS_DIR
    say(f"router source and macOS wheels (cp{MAC_PYTHON.replace('.', '')}, arm64)")
    for name, path in router_files(inputs.source_root, require="__main__.py"):
        _write(mac / "app" / name, path.read_bytes())
    for wheel in download_wheels(Target("arm64", MAC_PYTHON, os="macos"), inputs.cache):
        _write(mac / "wheels" / wheel.name, wheel.read_bytes())
    _write(mac / "requirements.txt", lock_text(LOCK_FILE))
    say("launchd plists")
    plists = {"io.inferplane.router.plist": launchd.router_plist()}
    for server in servers:
        native = profile.engines[server.engine]
        mac_server = launchd.MacServer(
            server.name, server.engine, native, server.command, server.host_port
        )
        plists[f"{launchd.server_label(server.name)}.plist"] = launchd.model_server_plist(
            mac_server
        )
    for name, data in plists.items():
        _write(out / LAUNCHD_DIR / name, data)
    _write(
        mac / "router.json", site_router_config(site, _model_urls_host(servers)).to_json() + "\n"
    )
    formulas = sorted({str(profile.engines[s.engine].formula) for s in servers})
    _write(mac / "install-macos.sh", scripts.install_macos_sh(MAC_PYTHON, formulas, sorted(plists)))
    (mac / "install-macos.sh").chmod(0o755)
    return InstallPlan(
        launchd_plists=tuple(f"{LAUNCHD_DIR}/{name}" for name in sorted(plists)),
        mac_python=f"python{MAC_PYTHON}",
    )


def _write_manifest(
    out: Path,
    inputs: BundleInputs,
    site: Site,
    profile: Profile,
    servers: list[_Server],
    *,
    image: RouterImage | None,
    plan: InstallPlan,
) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        with path.open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        files[relative] = {"size": path.stat().st_size, "sha256": sha}
    doc: dict[str, Any] = {
        "format": "inferplane-edge-bundle/1",
        "stack": inputs.stack,
        "site": site.name,
        "profile": profile.name,
        "arches": list(profile.arches),
        "host": profile.host,
        "targets": {
            s.name: {
                "engine": s.engine,
                "image": s.image,
                "model": site.targets[s.name].model,
                # The weight files the server opens (below the models directory): what
                # `inferplane edge pack-model` must provide for this target.
                "model_files": _model_files(s.command),
            }
            for s in servers
        },
        "files": files,
        "install": plan.to_dict(),
    }
    if image is not None:
        doc["router_image"] = {
            "reference": image.reference(),
            "tag": image.tag,
            "index": image.index.digest,
            "manifests": {arch: m.digest for arch, m in image.manifests.items()},
            CONTAINERD_NAME: f"{IMAGE_NAME}:{image.tag}",
        }
    if profile.l4t_base:
        doc["l4t_base"] = profile.l4t_base
    (out / "manifest.json").write_bytes(canonical_json(doc) + b"\n")
    return files
