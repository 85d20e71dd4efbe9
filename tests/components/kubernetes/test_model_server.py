"""ModelServer and KubernetesWorkload under the recording mock runtime: what Pulumi would
send is the rendered manifest, through the cluster's own provider."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pulumi
import pytest

from inferplane.components.container import ContainerSpec
from inferplane.components.kubernetes.manifests import (
    KUBERNETES_VERSION,
    ROUTER_POD_LABELS,
    ModelServerConfig,
    Workload,
    model_server_manifests,
)
from inferplane.components.kubernetes.model_server import ModelServer, ModelServerArgs
from inferplane.components.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs
from inferplane.plan.graph import Graph, Resource
from inferplane.serving import render
from inferplane.spec.serving import Serving
from tests.support.recording import integral, one, record

DIGEST = "sha256:" + "cd" * 32
K8S_TYPES = {
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
}


def args(**changes: Any) -> ModelServerArgs:
    command = render("llama-3.1-8b-instruct", Serving(engine="vllm", quantization="awq"))
    base: dict[str, Any] = {
        "name": "llama",
        "namespace": "inference",
        "model": "llama-3.1-8b-instruct",
        "engine": "vllm",
        "command": dataclasses.replace(command, image=f"{command.image}@{DIGEST}"),
        "weights_gib": 4.5,
        "gpus": 2,
        "runtime_class": "nvidia",
        "replicas_min": 1,
        "replicas_max": 4,
        "labels": {"inferplane.dev/environment": "dev"},
        "kubeconfig": pulumi.Output.secret("apiVersion: v1\nkind: Config\n"),
    }
    return ModelServerArgs(**{**base, **changes})


def manifest_of(resource: Resource) -> dict[str, Any]:
    found: dict[str, Any] = integral(resource.inputs)
    return found


def server_graph(**changes: Any) -> tuple[Graph, dict[str, Any]]:
    holder: dict[str, Any] = {}

    def program() -> None:
        server = ModelServer("llama", args(**changes))
        holder["server"] = server
        server.endpoint.apply(lambda e: holder.update(endpoint=e))

    graph = record(program)
    return graph, holder


@pytest.fixture(scope="module")
def graph() -> Graph:
    return server_graph()[0]


def test_recorded_inputs_are_the_rendered_manifests(graph: Graph) -> None:
    config = ModelServerConfig(
        **{f.name: getattr(args(), f.name) for f in dataclasses.fields(ModelServerConfig)}
    )
    expected = {(m["kind"], m["metadata"]["name"]): m for m in model_server_manifests(config)}
    recorded = {
        (r.inputs["kind"], r.inputs["metadata"]["name"]): manifest_of(r)
        for r in graph.resources
        if r.type in K8S_TYPES
    }
    assert recorded == expected


def test_recorded_objects_pass_strict_schema(graph: Graph) -> None:
    import kubernetes_validate

    recorded = [r for r in graph.resources if r.type in K8S_TYPES]
    assert {r.type for r in recorded} == K8S_TYPES
    for resource in recorded:
        assert kubernetes_validate.validate(manifest_of(resource), KUBERNETES_VERSION, strict=True)


def test_every_object_goes_through_the_clusters_provider(graph: Graph) -> None:
    provider = one(graph, "pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.inputs["namespace"] == "inference"
    server = one(graph, "inferplane:kubernetes:ModelServer")
    assert provider.parent == server.urn
    for resource in graph.resources:
        if resource.type in K8S_TYPES:
            assert resource.provider is not None
            assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_objects_wait_for_the_namespace_and_pod_for_its_cache(graph: Graph) -> None:
    namespace = one(graph, "kubernetes:core/v1:Namespace")
    for resource in graph.resources:
        if resource.type in K8S_TYPES - {"kubernetes:core/v1:Namespace"}:
            assert namespace.urn in resource.dependencies, resource.name
    claim = one(graph, "kubernetes:core/v1:PersistentVolumeClaim")
    assert claim.urn in one(graph, "kubernetes:apps/v1:Deployment").dependencies


def test_children_are_named_after_the_component(graph: Graph) -> None:
    names = {r.name for r in graph.resources}
    assert {
        "llama",
        "llama-provider",
        "llama-namespace",
        "llama-default-deny-network-policy",
        "llama-server",
        "llama-server-cache",
        "llama-server-deployment",
        "llama-server-service",
        "llama-server-hpa",
        "llama-server-pdb",
        "llama-server-network-policy",
    } == names


def test_deployment_has_probes_gpu_limits_and_hardened_context(graph: Graph) -> None:
    pod = manifest_of(one(graph, "kubernetes:apps/v1:Deployment"))["spec"]["template"]["spec"]
    container = pod["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "2"
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["image"].endswith(DIGEST)


def test_hpa_pdb_and_network_policy(graph: Graph) -> None:
    hpa = manifest_of(one(graph, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"))["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 4)
    pdb = manifest_of(one(graph, "kubernetes:policy/v1:PodDisruptionBudget"))["spec"]
    assert pdb["maxUnavailable"] == 1
    policies = {
        r.name: manifest_of(r)["spec"]
        for r in graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["llama-default-deny-network-policy"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    policy = policies["llama-server-network-policy"]
    assert policy["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": dict(ROUTER_POD_LABELS)}}
    ]


def test_endpoint_is_the_services_cluster_url() -> None:
    _graph, holder = server_graph()
    assert holder["endpoint"] == {
        "backend": "openai",
        "model": "llama-3.1-8b-instruct",
        "url": "http://llama.inference.svc.cluster.local:8000/v1",
        "auth": {"scheme": "none"},
        "reach": {"path": "vpc", "network": "k8s:inference"},
        "grants": [],
    }
    assert holder["server"].namespace == "inference"


def test_ollama_endpoint_names_the_quantized_tag() -> None:
    command = render("llama3.1:8b-instruct", Serving(engine="ollama", quantization="q4_k_m"))
    _graph, holder = server_graph(
        engine="ollama",
        model="llama3.1:8b-instruct",
        command=dataclasses.replace(command, image=f"ollama/ollama:0.12.6@{DIGEST}"),
    )
    assert holder["endpoint"]["model"] == "llama3.1:8b-instruct-q4_K_M"
    assert holder["endpoint"]["url"].endswith(":11434/v1")


def test_namespace_left_to_the_cluster_operators() -> None:
    graph, _holder = server_graph(create_namespace=False)
    assert graph.by_type("kubernetes:core/v1:Namespace") == []
    assert all(not r.dependencies for r in graph.by_type("kubernetes:core/v1:Service"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gpus": -1}, "gpus -1 is out of range"),
        ({"namespace": "Inference"}, "namespace 'Inference' is not a Kubernetes name"),
        ({"context": " "}, "context ' ' must name a kubeconfig context"),
        ({"replicas_min": 5, "replicas_max": 4}, "replicas_max 4 is out of range; allowed: 5"),
    ],
)
def test_invalid_arguments_create_nothing(changes: dict[str, Any], message: str) -> None:
    failures: list[Exception] = []

    def program() -> None:
        try:
            ModelServer("llama", args(**changes))
        except ValueError as exc:
            failures.append(exc)

    graph = record(program)
    assert len(failures) == 1
    assert re.search(re.escape(message), str(failures[0]))
    assert graph.resources == []


def test_router_workload_beside_the_server_with_output_files() -> None:
    """How the lead deploys the router: same provider, same namespace, config as output."""

    def program() -> None:
        server = ModelServer("llama", args())
        router = Workload(
            name="router",
            namespace=server.namespace,
            component="router",
            container=ContainerSpec(
                image=f"ghcr.io/example/inferplane-router:1@{DIGEST}",
                port=8088,
                health_path="/healthz",
            ),
            labels=ROUTER_POD_LABELS,
        )
        config = server.endpoint.apply(lambda e: json.dumps({"url": e["url"]}))
        KubernetesWorkload(
            "router",
            KubernetesWorkloadArgs(router, files={"router.json": config}),
            opts=pulumi.ResourceOptions(providers=[server.provider]),
        )

    graph = record(program)
    provider = one(graph, "pulumi:providers:kubernetes")
    files = next(r for r in graph.by_type("kubernetes:core/v1:ConfigMap"))
    assert files.name == "router-files"
    assert files.inputs["data"] == {
        "router.json": '{"url": "http://llama.inference.svc.cluster.local:8000/v1"}'
    }
    assert files.provider is not None
    assert files.provider.startswith(provider.urn)
    deployment = next(
        r for r in graph.by_type("kubernetes:apps/v1:Deployment") if r.name == "router-deployment"
    )
    annotations = deployment.inputs["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["inferplane.dev/files-sha256"])
    assert files.urn in deployment.dependencies
    policy = next(
        r
        for r in graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.name == "router-network-policy"
    )
    assert "from" not in policy.inputs["spec"]["ingress"][0]  # the router admits any client
