"""One ContainerSpec, every platform: the image, entrypoint, arguments, port, environment
and health path a spec names reach Cloud Run, Container Apps and a Kubernetes Deployment
unchanged (issue 14: these fields were repeated per platform and copied field by field;
Container Apps and Kubernetes could not take an entrypoint at all)."""

from __future__ import annotations

from typing import Any

from inferplane.catalog.engine import EngineCommand
from inferplane.components.azure.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
)
from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.gcp.cloud_run_service import CloudRunService, CloudRunServiceArgs
from inferplane.components.kubernetes.manifests import Workload, workload_manifests
from tests.support.recording import only, record

IMAGE = "registry.example.com/engine@sha256:" + "c" * 64
SPEC = ContainerSpec(
    image=IMAGE,
    port=9000,
    command=("/bin/engine", "serve"),
    args=("--model", "m", "--max-model-len", "8192"),
    env={"A": "1", "B": "2"},
    health_path="/ready",
    resources=Resources(cpu=2, memory_gib=4),
)


def _cloud_run() -> dict[str, Any]:
    args = CloudRunServiceArgs(location="europe-west4", service_name="engine", container=SPEC)
    graph = record(lambda: CloudRunService("engine", args))
    [container] = only(graph, "gcp:cloudrunv2/service:Service").inputs["template"]["containers"]
    return {
        "image": container["image"],
        "command": container["commands"],
        "args": container["args"],
        "port": container["ports"]["containerPort"],
        "env": {e["name"]: e["value"] for e in container["envs"]},
        "health": container["startupProbe"]["httpGet"]["path"],
        "resources": container["resources"]["limits"],
    }


def _container_app() -> dict[str, Any]:
    args = ContainerAppServiceArgs(location="swedencentral", app_name="engine", container=SPEC)
    graph = record(lambda: ContainerAppService("engine", args))
    app = only(graph, "azure-native:app:ContainerApp").inputs
    [container] = app["template"]["containers"]
    return {
        "image": container["image"],
        "command": container["command"],
        "args": container["args"],
        "port": app["configuration"]["ingress"]["targetPort"],
        "env": {e["name"]: e["value"] for e in container["env"]},
        "health": {p["httpGet"]["path"] for p in container["probes"]},
        "resources": container["resources"],
    }


def _kubernetes() -> dict[str, Any]:
    workload = Workload(name="engine", namespace="inference", component="engine", container=SPEC)
    [deployment] = [m for m in workload_manifests(workload) if m["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {
        "image": container["image"],
        "command": container["command"],
        "args": container["args"],
        "port": container["ports"][0]["containerPort"],
        "env": {e["name"]: e["value"] for e in container["env"]},
        "health": {container[p]["httpGet"]["path"] for p in ("startupProbe", "livenessProbe")},
        "resources": container["resources"],
    }


def test_the_same_container_reaches_every_platform() -> None:
    command, args = ["/bin/engine", "serve"], ["--model", "m", "--max-model-len", "8192"]
    assert _cloud_run() == {
        "image": IMAGE,
        "command": command,
        "args": args,
        "port": 9000,
        "env": {"A": "1", "B": "2"},
        "health": "/ready",
        "resources": {"cpu": "2", "memory": "4Gi"},
    }
    assert _container_app() == {
        "image": IMAGE,
        "command": command,
        "args": args,
        "port": 9000,
        "env": {"A": "1", "B": "2"},
        "health": {"/ready"},
        "resources": {"cpu": 2, "memory": "4Gi"},
    }
    assert _kubernetes() == {
        "image": IMAGE,
        "command": command,
        "args": args,
        "port": 9000,
        # HOME points at the writable /tmp: the root filesystem may be read-only.
        "env": {"A": "1", "B": "2", "HOME": "/tmp"},
        "health": {"/ready"},
        "resources": {
            "requests": {"cpu": "2", "memory": "4096Mi"},
            "limits": {"memory": "4096Mi"},
        },
    }


def test_an_engine_command_becomes_the_container_unchanged() -> None:
    engine = EngineCommand(image=IMAGE, args=("--x",), env={"E": "1"}, port=8001, health_path="/h")
    spec = ContainerSpec.of_engine(engine)
    workload = Workload(name="engine", namespace="inference", component="engine", container=spec)
    [deployment] = [m for m in workload_manifests(workload) if m["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert (container["args"], container["ports"][0]["containerPort"]) == (["--x"], 8001)
    assert container["readinessProbe"]["httpGet"]["path"] == "/h"
    assert "command" not in container  # the image's entrypoint stays
