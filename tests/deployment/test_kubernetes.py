"""Spec -> ModelServer: the builder, the spec fields it reads and the checks that refuse
a bad Kubernetes target before anything is built."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import model_server
from inferplane.errors import SpecError
from inferplane.plan.graph import Graph
from inferplane.spec import StackSpec, parse_spec
from inferplane.spec.targets import KubernetesTarget
from tests.support.recording import one, record

ROUTER_IMAGE = "europe-west4-docker.pkg.dev/acme/inferplane/router@sha256:" + "a" * 64

DIGEST = "sha256:" + "ef" * 32
KUBECONFIG = {"inferplane:kubeconfig": "apiVersion: v1\nkind: Config\n"}


def raw_spec(**target: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "kubernetes",
        "cluster": {"cloud": "aws", "region": "eu-central-1"},
        # An AWQ checkpoint (vLLM loads --quantization awq only from one), ungated.
        "model": "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
        "serving": {"engine": "vllm", "quantization": "awq"},
        "scaling": {"min": 1, "max": 3, "target": 60},
    }
    return {
        "environment": "dev",
        "owner": "ml-platform",
        "cost_center": "cc-4711",
        "residency": {"zone": "eu", "regions": {"aws": ["eu-central-1"]}, "edge_sites": ["plant"]},
        "data_classes": {"public": {"placement": "any"}, "confidential": {"placement": "zone"}},
        "targets": {"llama": {**base, **target}},
        "routes": [{"targets": ["llama"]}],
        "router": {
            "platform": "kubernetes",
            "target": "llama",
            "image": ROUTER_IMAGE,
            # Kubernetes has no platform auth: the spec requires client keys.
            "keys": [{"id": "app", "salt": "9eb4118d5dedb42a", "sha256": "c" * 64}],
        },
    }


def spec_of(raw: dict[str, Any]) -> StackSpec:
    return parse_spec(raw, "test", {"aws": "eu-central-1"})


def target_of(spec: StackSpec) -> KubernetesTarget:
    target = spec.targets["llama"]
    assert isinstance(target, KubernetesTarget)
    return target


def build(raw: dict[str, Any], config: dict[str, str] | None = None) -> Graph:
    spec = spec_of(raw)
    return record(
        lambda: model_server("llama", target_of(spec), DeployContext(spec, "dev")),
        KUBECONFIG if config is None else config,
        secret_keys=list(KUBECONFIG),
    )


def deployment_pod(graph: Graph) -> dict[str, Any]:
    pod: dict[str, Any] = one(graph, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"][
        "spec"
    ]
    return pod


def test_builder_maps_the_spec_onto_the_server() -> None:
    graph = build(
        raw_spec(
            gpus=2,
            namespace="llm",
            node_selector={"nvidia.com/gpu.product": "NVIDIA-A10G"},
            tolerations=[{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
            cache="pvc",
            storage_class="gp3",
            model_secret="hf-token",
        )
    )
    provider = one(graph, "pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    pod = deployment_pod(graph)
    container = pod["containers"][0]
    assert container["args"][:2] == [
        "--model",
        "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
    ]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert container["envFrom"] == [{"secretRef": {"name": "hf-token", "optional": True}}]
    assert {"name": "HF_HOME", "value": "/models/huggingface"} in container["env"]
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A10G"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    hpa = one(graph, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1.0, 3.0)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60.0
    claim = one(graph, "kubernetes:core/v1:PersistentVolumeClaim").inputs["spec"]
    # 8B at AWQ (0.5 bytes/param) = 3.7 GiB of weights; +25% -> 5 GiB.
    assert claim["resources"]["requests"]["storage"] == "5Gi"
    assert claim["storageClassName"] == "gp3"
    labels = one(graph, "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["inferplane.dev/inferplane-target"] == "llama"
    assert labels["inferplane.dev/environment"] == "dev"


def test_outside_prod_a_tag_is_accepted_and_always_pulled() -> None:
    container = deployment_pod(build(raw_spec()))["containers"][0]
    assert container["image"] == "vllm/vllm-openai:v0.11.0"
    assert container["imagePullPolicy"] == "Always"


def test_prod_server_with_digest_builds() -> None:
    raw = raw_spec(serving={"engine": "vllm", "image": f"vllm/vllm-openai:v0.11.0@{DIGEST}"})
    raw["environment"] = "prod"
    container = deployment_pod(build(raw))["containers"][0]
    assert container["image"].endswith(DIGEST)
    assert container["imagePullPolicy"] == "IfNotPresent"


def test_missing_kubeconfig_is_a_spec_error_naming_the_key() -> None:
    failures: list[SpecError] = []
    spec = spec_of(
        raw_spec(cluster={"cloud": "aws", "region": "eu-central-1", "kubeconfig": "eks:config"})
    )

    def program() -> None:
        try:
            model_server("llama", target_of(spec), DeployContext(spec, "dev"))
        except SpecError as exc:
            failures.append(exc)

    graph = record(program, KUBECONFIG)
    assert graph.resources == []
    assert failures[0].paths == ("targets.llama.cluster.kubeconfig",)
    assert "`pulumi config set --secret eks:config ...`" in str(failures[0])


def test_onprem_k3s_hostpath_cache() -> None:
    graph = build(
        raw_spec(
            cluster={"cloud": "onprem", "site": "plant"},
            model="llama-3.1-8b-instruct",
            serving={"engine": "llamacpp", "quantization": "q4_k_m"},
            gpus=0,
            cache="hostpath",
            cache_host_path="/srv/models",
        )
    )
    pod = deployment_pod(graph)
    assert {
        "name": "models",
        "hostPath": {"path": "/srv/models", "type": "DirectoryOrCreate"},
    } in pod["volumes"]
    assert "runtimeClassName" not in pod
    assert graph.by_type("kubernetes:core/v1:PersistentVolumeClaim") == []


def _with(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node = raw
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return raw


SECOND = {
    "kind": "kubernetes",
    "cluster": {"cloud": "aws", "region": "eu-central-1"},
    "model": "mistral-7b-instruct",
    "serving": {"engine": "vllm"},
}

BEDROCK = {
    "kind": "bedrock",
    "region": "eu-central-1",
    "model": "anthropic.claude-3-haiku-20240307-v1:0",
}


@pytest.mark.parametrize(
    ("path", "value", "issue", "message"),
    [
        ("targets.llama.scaling", {"min": 0, "max": 2}, "targets.llama", "scaling.min 0"),
        ("targets.llama.cache_gb", 2, "targets.llama", "cache_gb 2 is smaller than the model's"),
        (
            "targets.llama.tolerations",
            [{"key": "gpu", "operator": "Exists", "value": "x"}],
            "targets.llama.tolerations[0]",
            "operator 'Exists' takes no value",
        ),
        (
            "targets.llama.tolerations",
            [{"key": "gpu", "operator": "Equal"}],
            "targets.llama.tolerations[0]",
            "operator 'Equal' needs value",
        ),
        (
            "targets.llama.cluster.kubeconfig",
            "no-namespace",
            "targets.llama.cluster.kubeconfig",
            "",
        ),
        ("targets.llama.cache_host_path", "relative/dir", "targets.llama.cache_host_path", ""),
        ("environment", "prod", "targets.llama.serving.image", "pinned by digest"),
        (
            "targets.other",
            {**SECOND, "namespace": "inference"},
            "targets.other.namespace",
            "already used by target 'llama'",
        ),
        # A router on Kubernetes calling Bedrock needs EKS Pod Identity: a named EKS cluster.
        ("targets.other", BEDROCK, "targets.llama.cluster.name", "EKS Pod Identity"),
    ],
)
def test_invalid_kubernetes_targets(path: str, value: Any, issue: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec_of(_with(raw_spec(), path, value))
    assert any(p.startswith(issue) for p in caught.value.paths), caught.value.paths
    assert message in str(caught.value)


def test_named_eks_cluster_gives_the_router_its_aws_identity() -> None:
    raw = _with(
        raw_spec(cluster={"cloud": "aws", "region": "eu-central-1", "name": "prod-eks"}),
        "targets.other",
        BEDROCK,
    )
    assert set(spec_of(raw).targets) == {"llama", "other"}


def test_two_servers_in_two_namespaces_are_fine() -> None:
    spec = spec_of(_with(raw_spec(), "targets.other", {**SECOND, "namespace": "mistral"}))
    assert set(spec.targets) == {"llama", "other"}


def test_router_beside_the_server_reaches_only_its_pods_and_dns() -> None:
    """The whole stack (server + router builders): the router's NetworkPolicy admits its
    own namespace only and egresses to the server's pods and port and the cluster DNS; no
    internet, since every target is in the cluster (issue 19)."""
    from inferplane.deployment import deploy

    spec = spec_of(raw_spec())
    graph = record(
        lambda: deploy(spec, DeployContext(spec, "dev", {"aws": "eu-central-1"})),
        KUBECONFIG,
        secret_keys=list(KUBECONFIG),
    )
    policies = {
        r.name: r.inputs["spec"]
        for r in graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert set(policies) == {
        "llama-default-deny-network-policy",
        "llama-server-network-policy",
        "router-workload-network-policy",
    }
    router = policies["router-workload-network-policy"]
    namespace = graph.by_type("kubernetes:core/v1:Namespace")[0].inputs["metadata"]["name"]
    assert router["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
    ]
    server = policies["llama-server-network-policy"]["podSelector"]
    assert [rule["to"] for rule in router["egress"]][1:] == [[{"podSelector": server}]]
    assert [rule["ports"] for rule in router["egress"]] == [
        [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        [{"port": 8000, "protocol": "TCP"}],
    ]
