"""The site's router is closed: its config (from the real builder) requires a key, the key
the stack's router presents exists only in the site's secrets directory (never in the
bundle), and the router serves HTTPS with the site's certificate. The last test runs the
real router on the bundle's router.json and calls it as the stack's router would."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from inferplane.edge_images.bundle import BundleInputs, build_bundle
from inferplane.edge_images.secrets import site_secrets
from inferplane.packaging import default_cache
from inferplane.router.auth import hash_key
from inferplane.router.config import RouterConfig
from tests.conftest import ROOT
from tests.support.edgesite import SiteBundle, build_site_bundle, dev_spec, signing_key_file
from tests.support.routersource import router_source


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SiteBundle:
    tmp = tmp_path_factory.mktemp("access")
    return build_site_bundle(dev_spec(), "dev", "austin-lab", router_source(), tmp / "b")


def _site_key(built: SiteBundle) -> dict[str, str]:
    keys = json.loads((built.built.secrets.directory / "site-key.json").read_text())["keys"]
    assert len(keys) == 1
    return dict(keys[0])


def _configs(built: SiteBundle) -> dict[str, RouterConfig]:
    """Every router config the bundle ships: systemd, k3s (ConfigMap) and the seed."""
    found = {"systemd": RouterConfig.from_json((built.path / "systemd/router.json").read_text())}
    docs = yaml.safe_load_all(
        (built.path / "k3s/server/manifests/inferplane-router.yaml").read_text()
    )
    configmap = next(d for d in docs if d and d["kind"] == "ConfigMap")
    found["k3s"] = RouterConfig.from_json(configmap["data"]["router.json"])
    user_data = yaml.safe_load((built.path / "seed/user-data").read_text())
    seeded = next(f for f in user_data["write_files"] if f["path"] == "/etc/inferplane/router.json")
    found["seed"] = RouterConfig.from_json(seeded["content"])
    return found


def test_every_site_router_config_requires_the_site_key(built: SiteBundle) -> None:
    key = _site_key(built)
    for where, config in _configs(built).items():
        assert config.auth_required is True, where
        ids = [k.id for k in config.keys]
        # The stack router's key first, then the stack's client keys (for site-LAN clients).
        assert ids == ["stack-router-1", *(k.id for k in dev_spec().router.keys)], where
        assert config.keys[0].sha256 == hash_key(key["key"], key["salt"]), where
        assert config.keys[0].salt == key["salt"]


def test_the_bundle_holds_no_private_material(built: SiteBundle) -> None:
    key = _site_key(built)["key"]
    secrets = built.built.secrets
    private = [secrets.key.read_bytes().strip(), key.encode()]
    for path in built.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"PRIVATE KEY" not in data, path
            assert not any(p in data for p in private), path
    assert secrets.directory.stat().st_mode & 0o777 == 0o700
    assert secrets.key.stat().st_mode & 0o777 == 0o600
    assert not str(secrets.directory).startswith(str(built.path) + "/")


def test_secrets_are_reused_so_the_bundle_is_the_same(built: SiteBundle, tmp_path: Path) -> None:
    again = build_site_bundle(
        dev_spec(), "dev", "austin-lab", router_source(), tmp_path / "again",
        images=dict(_pins(built)),
    )  # fmt: skip
    # Same inputs, other secrets: another key hash, another bundle.
    assert again.built.manifest_sha256 != built.built.manifest_sha256
    inputs = BundleInputs(
        spec=dev_spec(), stack="dev", site="austin-lab", source_root=router_source(),
        cache=default_cache(ROOT), images=dict(_pins(built)), secrets=built.built.secrets.directory,
        signing_key=signing_key_file(),
    )  # fmt: skip
    from tests.support.edgesite import _small_router

    with _small_router(True):
        same = build_bundle(inputs, tmp_path / "same")
    assert same.manifest_sha256 == built.built.manifest_sha256


def _pins(built: SiteBundle) -> dict[str, str]:
    manifest = json.loads((built.path / "manifest.json").read_text())
    return {
        name.removeprefix("model-"): image["ref"]
        for name, image in manifest["install"]["images"].items()
    }


def test_rotation_keeps_the_previous_key_until_the_next(tmp_path: Path) -> None:
    names = ["lab", "127.0.0.1"]
    first = site_secrets(tmp_path, "lab", names).keys
    second = site_secrets(tmp_path, "lab", names, rotate_key=True).keys
    third = site_secrets(tmp_path, "lab", names, rotate_key=True).keys
    assert [k.id for k in first] == ["stack-router-1"]
    assert [k.id for k in second] == ["stack-router-2", "stack-router-1"]
    assert second[1] == first[0]
    assert [k.id for k in third] == ["stack-router-3", "stack-router-2"]
    assert site_secrets(tmp_path, "lab", names).keys == third  # no rotation: unchanged


def test_the_certificate_covers_the_sites_names_and_chains_to_its_ca(tmp_path: Path) -> None:
    secrets = site_secrets(tmp_path, "lab", ["lab", "lab-edge", "10.20.0.5", "127.0.0.1"])
    text = subprocess.run(
        ["openssl", "x509", "-in", str(secrets.cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in ("DNS:lab", "DNS:lab-edge", "IP Address:10.20.0.5", "IP Address:127.0.0.1"):
        assert name in text
    cert_before = secrets.cert.read_bytes()
    # A new address is a new certificate from the same CA.
    renewed = site_secrets(tmp_path, "lab", ["lab", "10.20.0.6"])
    assert renewed.cert.read_bytes() != cert_before
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(renewed.ca), str(renewed.cert)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_site_router_serves_https_and_refuses_calls_without_the_key(
    built: SiteBundle, tmp_path: Path
) -> None:
    secrets = built.built.secrets
    port = _free_port()
    log = (tmp_path / "router.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "router", "--config", str(built.path / "systemd/router.json"),
            "--host", "127.0.0.1", "--port", str(port),
            "--tls-cert", str(secrets.cert), "--tls-key", str(secrets.key),
        ],
        cwd=router_source(),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(secrets.ca))
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", context=context, timeout=2) as r:
                    assert r.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    print((tmp_path / "router.log").read_text())
                    raise
                time.sleep(0.2)
        # Plain HTTP gets no answer from a TLS listener.
        with pytest.raises((urllib.error.URLError, ConnectionError, http_error())):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        body = json.dumps(
            {"model": "llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "hi"}]}
        ).encode()

        def call(key: str | None) -> int:
            headers = {"content-type": "application/json"}
            if key is not None:
                headers["authorization"] = f"Bearer {key}"
            request = urllib.request.Request(
                f"{base}/v1/chat/completions", data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, context=context, timeout=10) as r:
                    return int(r.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        assert call(None) == 401
        assert call("ipe-not-the-key") == 401
        # With the site key the request passes auth (the model server is not running, so
        # the upstream call fails: anything but 401/403).
        assert call(_site_key(built)["key"]) not in (401, 403)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def http_error() -> type[Exception]:
    import http.client

    return http.client.HTTPException


def test_the_provisioning_seed_carries_tls_and_lives_with_the_secrets(built: SiteBundle) -> None:
    secrets = built.built.secrets
    seeded = yaml.safe_load((secrets.directory / "seed/user-data").read_text())
    files = {f["path"]: f for f in seeded["write_files"]}
    assert files["/etc/inferplane/tls/tls.key"]["permissions"] == "0600"
    assert files["/etc/inferplane/tls/tls.key"]["content"] == secrets.key.read_text()
    assert files["/etc/inferplane/tls/tls.crt"]["content"] == secrets.cert.read_text()
    assert files["/etc/inferplane/tls/ca.pem"]["permissions"] == "0644"
    assert (secrets.directory / "seed/seed.iso").is_file()
    bundled = yaml.safe_load((built.path / "seed/user-data").read_text())
    assert not any(f["path"].startswith("/etc/inferplane/tls") for f in bundled["write_files"])
    # Apart from the TLS files, the two seeds write the same files.
    assert {p for p in files if not p.startswith("/etc/inferplane/tls")} == {
        f["path"] for f in bundled["write_files"]
    }


def test_secrets_inside_the_bundle_are_refused(tmp_path: Path) -> None:
    from inferplane.errors import BuildError

    inputs = BundleInputs(
        spec=dev_spec(), stack="dev", site="austin-lab", source_root=router_source(),
        cache=default_cache(ROOT), secrets=tmp_path / "b" / "secrets",
    )  # fmt: skip
    with pytest.raises(BuildError, match="must be outside the bundle"):
        build_bundle(inputs, tmp_path / "b")
    assert not (tmp_path / "b" / "secrets").exists()
