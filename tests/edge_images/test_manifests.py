"""Every Kubernetes object the edge bundle writes passes kubernetes-validate --strict for
KUBERNETES_VERSION, and carries the probes, GPU limits and security context it should."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from inferplane.components.kubernetes.manifests import GPU_RESOURCE, ROUTER_POD_LABELS
from inferplane.edge_images import manifests
from inferplane.edge_images.manifests import KUBERNETES_VERSION, ModelServer
from inferplane.edge_images.profiles import load_profile
from inferplane.packaging.router_image import CONFIG_PATH
from inferplane.serving import render
from inferplane.spec.serving import Serving

ROUTER_IMAGE = "registry.inferplane.local/inferplane/router:abc@sha256:" + "a" * 64
SERVER_IMAGE = "ghcr.io/ggml-org/llama.cpp:server-cuda@sha256:" + "b" * 64


def _server(gpus: int) -> ModelServer:
    serving = Serving(engine="llamacpp", quantization="q4_k_m", context_length=8192)
    command = render("llama-3.1-8b-instruct", serving)
    return ModelServer(
        "llama-lab", SERVER_IMAGE, command, gpus, "llamacpp", "llama-3.1-8b-instruct", 4.5
    )


def _all_objects() -> list[dict[str, Any]]:
    profile = load_profile("x86-nvidia")
    assert profile.device_plugin is not None
    return [
        *manifests.router_objects("austin-lab", ROUTER_IMAGE, "{}"),
        *manifests.model_server_objects("austin-lab", _server(1), "nvidia"),
        *manifests.gpu_objects("austin-lab", profile.device_plugin, "nvidia"),
    ]


@pytest.mark.parametrize(
    "obj", _all_objects(), ids=lambda o: f"{o['kind']}-{o['metadata']['name']}"
)
def test_object_is_valid_strict(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def _kind(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind)


def test_gpu_model_server_requests_the_gpu_through_the_nvidia_runtime() -> None:
    objects = manifests.model_server_objects("austin-lab", _server(1), "nvidia")
    pod = _kind(objects, "Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["runtimeClassName"] == "nvidia"
    assert container["resources"]["limits"][GPU_RESOURCE] == "1"
    assert container["image"] == SERVER_IMAGE
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_cpu_model_server_has_no_gpu_or_runtime_class() -> None:
    objects = manifests.model_server_objects("lab", _server(0), None)
    pod = _kind(objects, "Deployment")["spec"]["template"]["spec"]
    assert "runtimeClassName" not in pod
    assert GPU_RESOURCE not in pod["containers"][0]["resources"]["limits"]
    assert GPU_RESOURCE not in pod["containers"][0]["resources"]["requests"]


def test_only_the_router_may_reach_the_model_server() -> None:
    policy = _kind(manifests.model_server_objects("lab", _server(0), None), "NetworkPolicy")
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": dict(ROUTER_POD_LABELS)}}]
    router = _kind(manifests.router_objects("lab", ROUTER_IMAGE, "{}"), "Deployment")
    router_pod_labels = router["spec"]["template"]["metadata"]["labels"]
    assert ROUTER_POD_LABELS.items() <= router_pod_labels.items()


def test_router_runs_non_root_read_only_with_health_probes() -> None:
    objects = manifests.router_objects("lab", ROUTER_IMAGE, '{"x": 1}')
    container = _kind(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == ROUTER_IMAGE
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert _kind(objects, "ConfigMap")["data"] == {"router.json": '{"x": 1}'}


def test_router_is_published_on_the_node_with_its_config_where_the_image_reads_it() -> None:
    objects = manifests.router_objects("lab", ROUTER_IMAGE, "{}")
    assert _kind(objects, "Service")["spec"]["type"] == "LoadBalancer"
    container = _kind(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == [
        "--config", CONFIG_PATH, "--host", "0.0.0.0", "--port", "8088",
        "--tls-cert", "/run/inferplane/tls/tls.crt", "--tls-key", "/run/inferplane/tls/tls.key",
    ]  # fmt: skip
    files = next(m for m in container["volumeMounts"] if m["name"] == "files")
    assert f"{files['mountPath']}/router.json" == CONFIG_PATH


def test_router_serves_tls_from_the_sites_secret() -> None:
    objects = manifests.router_objects("lab", ROUTER_IMAGE, "{}")
    pod = _kind(objects, "Deployment")["spec"]["template"]["spec"]
    tls = next(v for v in pod["volumes"] if v["name"] == "tls")
    assert tls == {
        "name": "tls",
        "secret": {"secretName": "inferplane-router-tls", "defaultMode": 0o440},
    }
    container = pod["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "tls")
    assert mount == {"name": "tls", "mountPath": "/run/inferplane/tls", "readOnly": True}
    probes = [container[p]["httpGet"]["scheme"] for p in ("readinessProbe", "livenessProbe")]
    assert probes == ["HTTPS", "HTTPS"]
    # The Secret files belong to fsGroup (0440): the router process, in that group, reads them.
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]


def test_models_come_read_only_from_the_hosts_model_dir() -> None:
    objects = manifests.model_server_objects("lab", _server(1), "nvidia")
    pod = _kind(objects, "Deployment")["spec"]["template"]["spec"]
    models = next(v for v in pod["volumes"] if v["name"] == "models")
    assert models["hostPath"] == {"path": manifests.MODEL_DIR, "type": "Directory"}
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "models")
    assert mount == {"name": "models", "mountPath": "/models", "readOnly": True}
    assert not any(o["kind"] == "PersistentVolumeClaim" for o in objects)
    assert all(o["metadata"]["labels"]["inferplane.io/site"] == "lab" for o in objects)


def test_namespace_admits_the_model_servers_host_directory() -> None:
    namespace = _kind(manifests.router_objects("lab", ROUTER_IMAGE, "{}"), "Namespace")
    # Pod Security "baseline" refuses hostPath volumes.
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
