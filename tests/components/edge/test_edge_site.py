"""EdgeSite under the recording mock runtime, on REAL bundles: the SSH commands, the TLS
files, the copy, a changed bundle changing every command's triggers (which is what makes
Pulumi replace them), and the closed endpoint (HTTPS, API key, site CA)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pulumi
import pytest

from inferplane.components.base import Labels
from inferplane.components.edge.bundle import Bundle
from inferplane.components.edge.edge_site import (
    EdgeSite,
    EdgeSiteArgs,
    SiteTls,
    SshAccess,
    ssh_connection,
)
from inferplane.plan.graph import Graph, Resource
from tests.support.edgesite import SiteBundle, build_site_bundle, dev_spec, fetch_images
from tests.support.recording import one, record
from tests.support.routersource import router_source

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfflineTestKeyOfflineTestKeyOfflineTest"
COMMAND = "command:remote:Command"
COPY = "command:remote:CopyToRemote"


def args(bundle: Bundle | None, **changes: Any) -> EdgeSiteArgs:
    base: dict[str, Any] = {
        "site": "munich-plant",
        "address": "10.20.0.5",
        "model": "llama-3.1-8b-instruct",
        "runtime": "k3s",
        "bundle": bundle,
        "ssh": SshAccess(pulumi.Output.secret("-----BEGIN OPENSSH PRIVATE KEY-----"), HOST_KEY),
        "labels": Labels("prod", "ml", "cc-1", "eu", "restricted", "llama-plant"),
        "key_secret": KEY_SECRET,
        "ca_secret": CA_SECRET,
        "tls": TLS,
    }
    return EdgeSiteArgs(**{**base, **changes})


KEY_SECRET = {"store": "aws_secretsmanager", "name": "edge/munich-plant/key"}
CA_SECRET = {"store": "aws_secretsmanager", "name": "edge/munich-plant/ca"}
CERT = "-----BEGIN CERTIFICATE-----\nMIIBsite\n-----END CERTIFICATE-----\n"
CA = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHsecretkeymaterial\n-----END PRIVATE KEY-----\n"
TLS = SiteTls(CERT, pulumi.Output.secret(KEY), CA)


def site_graph(site_args: EdgeSiteArgs) -> tuple[Graph, dict[str, Any]]:
    holder: dict[str, Any] = {}

    def program() -> None:
        site = EdgeSite("llama-plant", site_args)
        site.endpoint.apply(lambda e: holder.update(endpoint=e))

    return record(program), holder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteBundle, Bundle]:
    tmp = tmp_path_factory.mktemp("site")
    site_bundle = build_site_bundle(dev_spec(), "dev", "austin-lab", router_source(), tmp / "b")
    return site_bundle, fetch_images(site_bundle, tmp / "fetch")


@pytest.fixture
def bundle(built: tuple[SiteBundle, Bundle]) -> Bundle:
    return built[1]


def commands(graph: Graph) -> dict[str, Resource]:
    return {r.name: r for r in graph.resources if r.type in (COMMAND, COPY)}


def test_copy_then_install_over_ssh(bundle: Bundle) -> None:
    graph, _ = site_graph(args(bundle))
    found = commands(graph)
    assert set(found) == {
        "llama-plant-prepare",
        "llama-plant-tls",
        "llama-plant-trust",
        "llama-plant-bundle",
        "llama-plant-install",
        "llama-plant-gate",
        "llama-plant-uninstall",
    }
    prepare, copy, install = (found[f"llama-plant-{n}"] for n in ("prepare", "bundle", "install"))
    tls, trust = found["llama-plant-tls"], found["llama-plant-trust"]
    # The signer's key reaches the site's trusted keys before install.sh verifies.
    assert trust.urn in install.dependencies
    assert prepare.urn in trust.dependencies
    ((key_name, key_text),) = bundle.trusted_keys().items()
    assert f"| write {key_name}\n" in trust.inputs["stdin"]
    assert key_text.strip().splitlines()[-1] in trust.inputs["stdin"]
    assert prepare.inputs["create"] == (
        "sudo -n install -d -m 0755 -o inferplane /opt/inferplane/incoming"
    )
    assert copy.inputs["remotePath"] == f"/opt/inferplane/incoming/{bundle.digest}"
    assert copy.inputs["source"] == {"archive": str(bundle.directory)}
    assert prepare.urn in copy.dependencies
    assert install.inputs["create"] == "sudo -n bash -s"
    assert copy.urn in install.dependencies
    assert tls.urn in install.dependencies
    assert prepare.urn in tls.dependencies
    script = install.inputs["stdin"]
    assert f"digest={bundle.digest}" in script
    assert bundle.checksums() in script
    # The bundle's own installer activates it: health gate and automatic rollback.
    assert script.endswith('exec "$release"/install.sh k3s\n')
    assert "INFERPLANE_HEALTH_SECONDS=900" in script
    # install.sh switches `current` itself (it must see the release it replaces).
    assert 'ln -sfn "$release" "$base/current"' not in script
    assert "delete" not in install.inputs  # destroying must not re-run the install
    gate = found["llama-plant-gate"]
    assert gate.dependencies == [install.urn]
    assert gate.inputs["create"] == "sudo -n bash -s"
    assert f"expected={bundle.digest}\n" in gate.inputs["stdin"]
    assert "https://127.0.0.1:8088/readyz" in gate.inputs["stdin"]
    # The key travels only as a secret (the recorder shows secrets as "[secret]").
    assert tls.inputs["stdin"] == "[secret]"
    assert "secretkeymaterial" not in script


def test_connection_pins_the_host_key(bundle: Bundle) -> None:
    connection = ssh_connection("10.20.0.5", SshAccess("key", HOST_KEY, port=2222))
    assert pulumi.get(connection, "host") == "10.20.0.5"
    assert pulumi.get(connection, "host_key") == HOST_KEY
    assert pulumi.get(connection, "private_key") == "key"
    assert pulumi.get(connection, "user") == "inferplane"
    assert pulumi.get(connection, "port") == 2222.0
    # pulumi-command sends the whole connection as a secret: the key never shows.
    graph, _ = site_graph(args(bundle))
    assert {r.inputs["connection"] for r in commands(graph).values()} == {"[secret]"}


def test_the_bundle_digest_is_every_deploy_commands_trigger(bundle: Bundle, tmp_path: Path) -> None:
    first = commands(site_graph(args(bundle))[0])
    changed_dir = tmp_path / "changed"
    import shutil

    shutil.copytree(bundle.directory, changed_dir)
    manifest = changed_dir / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"stack":"dev"', '"stack":"dev2"'))
    from inferplane.components.edge.bundle import read_bundle

    changed_bundle = read_bundle(changed_dir)
    assert changed_bundle.digest != bundle.digest
    second = commands(site_graph(args(changed_bundle))[0])
    cert_sha = hashlib.sha256(CERT.encode()).hexdigest()
    for role in ("prepare", "bundle", "install", "gate"):
        name = f"llama-plant-{role}"
        assert first[name].inputs["triggers"] == [bundle.digest, cert_sha]
        assert second[name].inputs["triggers"] == [changed_bundle.digest, cert_sha]
    assert first["llama-plant-tls"].inputs["triggers"] == [cert_sha]
    assert (
        first["llama-plant-install"].inputs["stdin"]
        != second["llama-plant-install"].inputs["stdin"]
    )
    # Removal is not tied to the bundle: a new bundle must not uninstall the site first.
    assert "triggers" not in second["llama-plant-uninstall"].inputs


def test_same_bundle_same_inputs(bundle: Bundle) -> None:
    first = commands(site_graph(args(bundle))[0])
    again = commands(site_graph(args(bundle))[0])
    assert {n: r.inputs for n, r in first.items()} == {n: r.inputs for n, r in again.items()}


def test_uninstall_runs_only_on_delete(bundle: Bundle) -> None:
    uninstall = commands(site_graph(args(bundle))[0])["llama-plant-uninstall"]
    assert "create" not in uninstall.inputs
    assert uninstall.inputs["delete"].startswith("sudo -n bash -c ")
    assert "k3s kubectl delete --ignore-not-found" in uninstall.inputs["delete"]
    assert "inferplane-router-tls.yaml" in uninstall.inputs["delete"]


def test_root_login_needs_no_sudo(bundle: Bundle) -> None:
    ssh = SshAccess(pulumi.Output.secret("k"), HOST_KEY, user="root", port=2222)
    found = commands(site_graph(args(bundle, ssh=ssh, install_dir="/srv/ip"))[0])
    assert found["llama-plant-install"].inputs["create"] == "bash -s"
    assert found["llama-plant-prepare"].inputs["create"].startswith("install -d")
    assert found["llama-plant-bundle"].inputs["remotePath"].startswith("/srv/ip/incoming/")
    assert 'base="$root"/srv/ip\n' in found["llama-plant-install"].inputs["stdin"]


def test_endpoint_is_the_sites_router_over_https_with_a_key(bundle: Bundle) -> None:
    graph, holder = site_graph(args(bundle, via="tunnel"))
    assert holder["endpoint"] == {
        "backend": "openai",
        "model": "llama-3.1-8b-instruct",
        "url": "https://10.20.0.5:8088/v1",
        "auth": {"scheme": "api_key", "secret": KEY_SECRET, "ca": CA_SECRET},
        "reach": {"path": "edge", "network": "munich-plant", "via": "tunnel"},
        "grants": [],
    }
    from inferplane.router.config import TargetAuth

    auth = TargetAuth.model_validate(holder["endpoint"]["auth"])
    assert auth.secret is not None
    assert auth.secret.name == "edge/munich-plant/key"
    assert auth.ca is not None
    assert auth.ca.name == "edge/munich-plant/ca"
    component = one(graph, "inferplane:edge:EdgeSite")
    assert component.outputs["bundle_digest"] == bundle.digest
    assert component.outputs["labels"]["data-class"] == "restricted"


def test_ipv6_address_is_bracketed_in_the_url() -> None:
    _graph, holder = site_graph(args(None, ssh=None, address="fd00::5"))
    assert holder["endpoint"]["url"] == "https://[fd00::5]:8088/v1"


def test_without_ssh_only_the_endpoint_is_published() -> None:
    graph, holder = site_graph(args(None, ssh=None))
    assert commands(graph) == {}
    assert holder["endpoint"]["url"] == "https://10.20.0.5:8088/v1"
    assert holder["endpoint"]["reach"] == {"path": "edge", "network": "munich-plant", "via": "lan"}
    assert one(graph, "inferplane:edge:EdgeSite").outputs.get("bundle_digest") is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "10.0.0.5; rm -rf /"}, "address '10.0.0.5; rm -rf /' is not a host name"),
        ({"port": 70000}, "port 70000 is out of range; allowed: 1..65535"),
        ({"runtime": "docker"}, "runtime 'docker' is unknown; allowed: k3s, systemd, launchd"),
        ({"health_path": "healthz"}, "health_path 'healthz' must start with '/'"),
        ({"install_dir": "opt/x"}, "install_dir 'opt/x' is not an absolute plain path"),
        ({"bundle": None}, "ssh deployment needs bundle"),
        (
            {"ssh": SshAccess("k", "AAAA-not-a-key")},
            "is not a public host key; allowed: 'ssh-ed25519 AAAA...'",
        ),
        ({"ssh": SshAccess("k", HOST_KEY, user="Root!")}, "ssh.user 'Root!' is not a user name"),
        ({"ssh": SshAccess("k", HOST_KEY, port=0)}, "ssh.port 0 is out of range"),
        ({"key_secret": None}, "key_secret None is not a secret reference"),
        ({"ca_secret": {"store": "env"}}, "ca_secret {'store': 'env'} is not a secret reference"),
        ({"via": "carrier-pigeon"}, "via 'carrier-pigeon' is unknown"),
        ({"tls": None}, "ssh deployment needs tls"),
        ({"tls": SiteTls("not pem", "k", CA)}, "tls.cert is not one PEM block"),
    ],
)
def test_invalid_arguments_create_nothing(
    bundle: Bundle, changes: dict[str, Any], message: str
) -> None:
    failures: list[Exception] = []

    def program() -> None:
        try:
            EdgeSite("llama-plant", args(**{"bundle": bundle, **changes}))
        except ValueError as exc:
            failures.append(exc)

    graph = record(program)
    assert len(failures) == 1
    assert message in str(failures[0])
    assert graph.resources == []
