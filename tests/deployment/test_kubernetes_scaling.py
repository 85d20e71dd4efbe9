"""LLM-signal autoscaling of a Kubernetes model server, built from the spec by the real
builder under the recording mock runtime: a KEDA ScaledObject on the engine's own queue
or KV-cache metric (validated against KEDA's published CRD schema), or an HPA on the
external metric without KEDA; scale to zero only outside prod."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from inferplane.deployment.context import DeployContext
from inferplane.deployment.kubernetes import model_server
from inferplane.errors import SpecError
from inferplane.plan.graph import Graph
from inferplane.spec import StackSpec, parse_spec
from inferplane.spec.targets.selfhosted import KubernetesTarget
from tests.support.recording import integral, record

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "keda" / "scaledobject.schema.yaml"
KUBECONFIG = {"inferplane:kubeconfig": "apiVersion: v1\nkind: Config\n"}
PROMETHEUS = {
    "url": "http://prometheus-server.monitoring.svc:9090",
    "namespace": "monitoring",
    "pod_labels": {"app.kubernetes.io/name": "prometheus"},
}
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
QUANT = {"vllm": "awq", "tgi": "awq", "llamacpp": "q4_k_m"}


@cache
def keda_schema() -> dict[str, Any]:
    """KEDA's schema, strict like ``kubectl apply --validate=strict``: a field the schema
    does not know is an error (the API server would silently prune it)."""
    schema: dict[str, Any] = strict(yaml.safe_load(SCHEMA.read_text()))
    return schema


def strict(node: Any) -> Any:
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    found = {k: strict(v) for k, v in node.items()}
    if (
        "properties" in found
        and "additionalProperties" not in found
        and not found.get("x-kubernetes-preserve-unknown-fields")
    ):
        found["additionalProperties"] = False
    return found


def raw_spec(environment: str = "dev", engine: str = "vllm", **scaling: Any) -> dict[str, Any]:
    return {
        "environment": environment,
        "owner": "ml-platform",
        "cost_center": "cc-4711",
        "residency": {"zone": "eu", "regions": {"aws": ["eu-central-1"]}},
        "data_classes": {"public": {"placement": "any"}},
        "targets": {
            "llama": {
                "kind": "kubernetes",
                "cluster": {"cloud": "aws", "region": "eu-central-1"},
                "model": "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
                "serving": {
                    "engine": engine,
                    "quantization": QUANT[engine],
                    "image": f"example/{engine}:1@sha256:{'ab' * 32}",
                    "batching": {"max_seqs": 64},
                },
                "scaling": {"min": 1, "max": 4, "prometheus": PROMETHEUS, **scaling},
            }
        },
        "routes": [{"targets": ["llama"]}],
        "router": {
            "platform": "kubernetes",
            "target": "llama",
            "image": f"example/router@sha256:{'cd' * 32}",
            "keys": [{"id": "app", "salt": "9eb4118d5dedb42a", "sha256": "c" * 64}],
        },
    }


def spec_of(raw: dict[str, Any]) -> StackSpec:
    return parse_spec(raw, "test", {"aws": "eu-central-1"})


def build(raw: dict[str, Any]) -> Graph:
    spec = spec_of(raw)
    target = spec.targets["llama"]
    assert isinstance(target, KubernetesTarget)
    return record(
        lambda: model_server("llama", target, DeployContext(spec, spec.environment)),
        KUBECONFIG,
        secret_keys=list(KUBECONFIG),
    )


def scaled_object(graph: Graph) -> dict[str, Any]:
    [found] = graph.by_type(SCALED_OBJECT)
    assert graph.by_type(HPA) == []  # KEDA owns the HPA it creates
    manifest: dict[str, Any] = integral(found.inputs)
    return manifest


@pytest.mark.parametrize(
    ("engine", "signal", "query", "threshold"),
    [
        (
            "vllm",
            "queue",
            'sum(vllm:num_requests_waiting{namespace="inference",pod=~"llama-.*"})',
            "16",
        ),
        (
            "vllm",
            "kv_cache",
            'sum(vllm:gpu_cache_usage_perc{namespace="inference",pod=~"llama-.*"})',
            "0.8",
        ),
        ("tgi", "queue", 'sum(tgi_queue_size{namespace="inference",pod=~"llama-.*"})', "16"),
        (
            "llamacpp",
            "queue",
            'sum(llamacpp:requests_deferred{namespace="inference",pod=~"llama-.*"})',
            "16",
        ),
    ],
)
def test_scaled_object_per_engine_and_signal_passes_kedas_crd_schema(
    engine: str, signal: str, query: str, threshold: str
) -> None:
    manifest = scaled_object(build(raw_spec(engine=engine, signal=signal)))
    jsonschema.validate(manifest, keda_schema())
    assert manifest["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "llama",
    }
    assert (manifest["spec"]["minReplicaCount"], manifest["spec"]["maxReplicaCount"]) == (1, 4)
    assert manifest["spec"]["triggers"] == [
        {
            "type": "prometheus",
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": "http://prometheus-server.monitoring.svc:9090",
                "query": query,
                "threshold": threshold,
                "activationThreshold": "0",
                "ignoreNullValues": "false",
            },
        }
    ]


def test_schema_rejects_what_keda_would() -> None:
    manifest = scaled_object(build(raw_spec(signal="queue")))
    broken = copy.deepcopy(manifest)
    del broken["spec"]["scaleTargetRef"]
    with pytest.raises(jsonschema.ValidationError, match="scaleTargetRef"):
        jsonschema.validate(broken, keda_schema())
    broken = copy.deepcopy(manifest)
    broken["spec"]["minReplicas"] = 1  # the HPA's spelling, unknown to KEDA
    with pytest.raises(jsonschema.ValidationError, match="minReplicas"):
        jsonschema.validate(broken, keda_schema())
    broken = copy.deepcopy(manifest)
    broken["spec"]["triggers"][0]["metadata"] = "not a map"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, keda_schema())


def test_the_deployment_leaves_replicas_to_keda_and_prometheus_may_scrape() -> None:
    graph = build(raw_spec(signal="queue", min=1, max=1))
    [deployment] = graph.by_type("kubernetes:apps/v1:Deployment")
    assert "replicas" not in deployment.inputs["spec"]
    [policy] = [
        p
        for p in graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.name == "llama-server-network-policy"
    ]
    assert policy.inputs["spec"]["ingress"][0]["from"][1:] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]


def test_llamacpp_serves_metrics_when_it_scales_on_them() -> None:
    graph = build(raw_spec(engine="llamacpp", signal="queue"))
    [deployment] = graph.by_type("kubernetes:apps/v1:Deployment")
    [container] = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert container["args"][-1] == "--metrics"


def test_scale_to_zero_outside_prod() -> None:
    manifest = scaled_object(build(raw_spec(signal="queue", min=0)))
    assert manifest["spec"]["minReplicaCount"] == 0
    jsonschema.validate(manifest, keda_schema())


def test_an_explicit_target_overrides_the_batch_default() -> None:
    manifest = scaled_object(build(raw_spec(signal="kv_cache", target=0.65)))
    assert manifest["spec"]["triggers"][0]["metadata"]["threshold"] == "0.65"


def test_without_keda_an_hpa_on_the_external_metric() -> None:
    import kubernetes_validate

    from inferplane.components.kubernetes.manifests import KUBERNETES_VERSION

    graph = build(raw_spec(signal="queue", keda=False))
    assert graph.by_type(SCALED_OBJECT) == []
    [hpa] = graph.by_type(HPA)
    manifest = integral(hpa.inputs)
    assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    assert manifest["spec"]["metrics"] == [
        {
            "type": "External",
            "external": {
                "metric": {
                    "name": "vllm:num_requests_waiting",
                    "selector": {"matchLabels": {"namespace": "inference"}},
                },
                "target": {"type": "AverageValue", "averageValue": "16"},
            },
        }
    ]


def test_cpu_signal_keeps_the_cpu_hpa() -> None:
    raw = raw_spec()
    del raw["targets"]["llama"]["scaling"]["prometheus"]
    graph = build(raw)
    assert graph.by_type(SCALED_OBJECT) == []
    [hpa] = graph.by_type(HPA)
    assert hpa.inputs["spec"]["metrics"][0]["resource"]["name"] == "cpu"


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (raw_spec("prod", signal="queue", min=0), "targets.llama.scaling.min", "only outside prod"),
        (raw_spec(signal="queue", min=0, keda=False), "targets.llama", "scaling.min 0"),
        (raw_spec(engine="tgi", signal="kv_cache"), "targets.llama", "allowed: cpu, queue"),
        (raw_spec(signal="kv_cache", target=80), "targets.llama.scaling", "a fraction"),
        (
            {
                **raw_spec(signal="queue"),
                "targets": {
                    "llama": {**raw_spec()["targets"]["llama"], "scaling": {"signal": "queue"}}
                },
            },
            "targets.llama.scaling",
            "needs prometheus",
        ),
    ],
)
def test_invalid_scaling(raw: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec_of(raw)
    assert any(p.startswith(path) for p in caught.value.paths), caught.value.paths
    assert message in str(caught.value)
