"""Spec -> EdgeSite: the builder, the bundle it reads and the edge spec checks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.edge.bundle import read_bundle
from inferplane.deployment.context import DeployContext
from inferplane.deployment.edge import edge_site
from inferplane.errors import SpecError
from inferplane.plan.graph import Graph
from inferplane.spec import StackSpec, parse_spec
from inferplane.spec.targets import EdgeTarget
from tests.support.edgesite import build_site_bundle, fetch_images
from tests.support.recording import one, record
from tests.support.routersource import router_source

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfflineTestKeyOfflineTestKeyOfflineTest"
SSH_KEY = {"inferplane:edgeSshKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n"}


def raw_spec(**target: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "edge",
        "site": "munich-plant",
        "profile": "jetson-orin",
        "model": "llama-3.1-8b-instruct",
        "serving": {"engine": "llamacpp", "quantization": "q4_k_m"},
    }
    return {
        "environment": "prod",
        "owner": "ml-platform",
        "cost_center": "cc-4711",
        "residency": {
            "zone": "eu",
            "regions": {"aws": ["eu-central-1"]},
            "edge_sites": ["munich-plant"],
        },
        "data_classes": {"restricted": {"placement": "edge"}},
        "targets": {"llama-plant": {**base, **target}},
        "routes": [{"match": {"data_class": "restricted"}, "targets": ["llama-plant"]}],
        "router": {
            "platform": "edge",
            "target": "llama-plant",
            "keys": [{"id": "plant-app", "salt": "0123456789abcdef", "sha256": "0" * 64}],
        },
    }


def spec_of(raw: dict[str, Any]) -> StackSpec:
    return parse_spec(raw, "test", {"aws": "eu-central-1"})


def run(raw: dict[str, Any], config: dict[str, str] | None = None) -> tuple[Graph, list[Exception]]:
    spec = spec_of(raw)
    target = spec.targets["llama-plant"]
    assert isinstance(target, EdgeTarget)
    failures: list[Exception] = []
    holder: dict[str, Any] = {}

    def program() -> None:
        try:
            site = edge_site("llama-plant", target, DeployContext(spec, "prod"))
            site.endpoint.apply(holder.update)
        except SpecError as exc:
            failures.append(exc)

    graph = record(program, SSH_KEY if config is None else config, secret_keys=list(SSH_KEY))
    graph.stack_outputs = holder  # the endpoint, for the assertions
    return graph, failures


def ssh_target(bundle: Path) -> dict[str, Any]:
    return {"address": "10.20.0.5", "bundle": str(bundle), "ssh": {"host_key": HOST_KEY}}


def write_bundle(out: Path) -> Path:
    """The builder's real bundle for munich-plant (images fetched), and its secrets."""
    built = build_site_bundle(
        spec_of(raw_spec(address="10.20.0.5")), "test", "munich-plant", router_source(), out
    )
    fetch_images(built, out.parent / f"{out.name}-fetch")
    return out


def test_ssh_deployment_from_the_spec(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "out" / "munich-plant")
    graph, failures = run(raw_spec(**ssh_target(bundle)))
    assert failures == []
    digest = read_bundle(bundle).digest
    copy_ = one(graph, "command:remote:CopyToRemote")
    assert copy_.inputs["triggers"][0] == digest
    assert copy_.inputs["source"] == {"archive": str(bundle)}
    site = one(graph, "inferplane:edge:EdgeSite")
    assert site.outputs["bundle_digest"] == digest
    assert site.outputs["labels"]["data-class"] == "restricted"
    assert graph.stack_outputs["url"] == "https://10.20.0.5:8088/v1"
    assert graph.stack_outputs["auth"] == {
        "scheme": "api_key",
        "secret": {"store": "env", "name": "INFERPLANE_EDGE_MUNICH_PLANT_KEY"},
        "ca": {"store": "env", "name": "INFERPLANE_EDGE_MUNICH_PLANT_CA"},
    }
    assert graph.stack_outputs["reach"] == {"path": "edge", "network": "munich-plant", "via": "lan"}
    tls = next(r for r in graph.by_type("command:remote:Command") if r.name.endswith("-tls"))
    assert tls.inputs["stdin"] == "[secret]"


def test_relative_bundle_is_read_from_the_project_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bundle(tmp_path / "out" / "plant")
    monkeypatch.chdir(tmp_path)
    graph, failures = run(raw_spec(**ssh_target(Path("out/plant"))))
    assert failures == []
    # prepare, tls, trust, install, gate, uninstall
    assert len(graph.by_type("command:remote:Command")) == 6


def test_without_address_or_ssh_the_site_name_is_the_host() -> None:
    graph, failures = run(raw_spec())
    assert failures == []
    assert graph.by_type("command:remote:Command") == []
    assert graph.stack_outputs["url"] == "https://munich-plant:8088/v1"


def test_a_bundle_for_another_runtime_is_a_spec_error(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b")
    raw = raw_spec(profile="apple-m", **ssh_target(bundle))
    graph, failures = run(raw)
    assert graph.by_type("command:remote:Command") == []
    assert isinstance(failures[0], SpecError)
    assert "the bundle has no launchd install" in str(failures[0])


def test_via_and_secret_locations_come_from_the_spec(tmp_path: Path) -> None:
    raw = raw_spec(
        via="internet",
        key_secret={"store": "aws_secretsmanager", "name": "edge/key"},
        ca_secret={"store": "k8s", "name": "edge-ca", "key": "ca.pem"},
    )
    graph, failures = run(raw)
    assert failures == []
    assert graph.stack_outputs["reach"]["via"] == "internet"
    assert graph.stack_outputs["auth"]["secret"] == {
        "store": "aws_secretsmanager",
        "name": "edge/key",
    }
    assert graph.stack_outputs["auth"]["ca"] == {"store": "k8s", "name": "edge-ca", "key": "ca.pem"}


def test_missing_site_secrets_are_a_spec_error(tmp_path: Path) -> None:
    import shutil

    bundle = write_bundle(tmp_path / "b")
    shutil.rmtree(tmp_path / "b.secrets")
    _graph, failures = run(raw_spec(**ssh_target(bundle)))
    assert isinstance(failures[0], SpecError)
    assert "the site's secrets are not in" in str(failures[0])


def test_missing_bundle_is_a_spec_error(tmp_path: Path) -> None:
    graph, failures = run(raw_spec(**ssh_target(tmp_path / "never-built")))
    assert graph.by_type("command:remote:Command") == []
    assert isinstance(failures[0], SpecError)
    assert failures[0].paths == ("targets.llama-plant.bundle",)
    assert "inferplane edge build" in str(failures[0])


def test_missing_ssh_key_is_a_spec_error(tmp_path: Path) -> None:
    _graph, failures = run(raw_spec(**ssh_target(write_bundle(tmp_path / "b"))), config={})
    assert isinstance(failures[0], SpecError)
    assert failures[0].paths == ("targets.llama-plant.ssh.private_key",)


def _with(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    raw["targets"]["llama-plant"].update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"runtime": "launchd"},
            "runtime 'launchd' does not run profile 'jetson-orin'; allowed: k3s, systemd",
        ),
        ({"profile": "apple-m", "runtime": "k3s"}, "allowed: launchd"),
        ({"ssh": {"host_key": HOST_KEY}}, "ssh deployment needs address and bundle"),
        ({"address": "10.0.0.1; reboot"}, "String should match pattern"),
        ({"via": "satellite"}, "via"),
        ({"key_secret": {"store": "vault", "name": "x"}}, "key_secret"),
        ({"address": "h", "bundle": "b", "ssh": {}}, "host_key"),
        ({"address": "h", "bundle": "b", "ssh": {"host_key": "not-a-key"}}, "host_key"),
        ({"address": "h", "bundle": "b", "ssh": {"host_key": HOST_KEY, "user": "Root"}}, "user"),
        (
            {"address": "h", "bundle": "b", "ssh": {"host_key": HOST_KEY, "private_key": "nokey"}},
            "private_key",
        ),
        (
            {"address": "h", "bundle": "b", "ssh": {"host_key": HOST_KEY, "install_dir": "rel"}},
            "install_dir",
        ),
    ],
)
def test_invalid_edge_targets(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec_of(_with(raw_spec(), **changes))
    assert message in str(caught.value)
    assert all(p.startswith("targets.llama-plant") for p in caught.value.paths)
