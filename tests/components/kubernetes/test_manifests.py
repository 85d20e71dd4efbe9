"""The pure manifest renderer: schema-valid for a stated Kubernetes version, and the
properties a model server must have (probes, GPUs, security, scaling, network)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.kubernetes.manifests import (
    GPU_RESOURCE,
    KUBERNETES_VERSION,
    ROUTER_POD_LABELS,
    ModelServerConfig,
    Toleration,
    Workload,
    model_server_manifests,
    workload_manifests,
)
from inferplane.serving import ENGINES, render
from inferplane.spec.serving import Serving

DIGEST = "sha256:" + "ab" * 32

QUANT = {"vllm": "awq", "tgi": "none", "ollama": "q4_k_m", "llamacpp": "q4_k_m", "triton": "none"}


def config(engine: str = "vllm", **changes: Any) -> ModelServerConfig:
    serving = Serving(engine=engine, quantization=QUANT[engine])
    command = render("llama-3.1-8b-instruct", serving)
    command = dataclasses.replace(command, image=f"{command.image}@{DIGEST}")
    base: dict[str, Any] = {
        "name": "llama",
        "namespace": "inference",
        "model": "llama-3.1-8b-instruct",
        "engine": engine,
        "command": command,
        "weights_gib": 4.5,
        "runtime_class": "nvidia",
        "labels": {"inferplane.dev/environment": "prod"},
    }
    return ModelServerConfig(**{**base, **changes})


def kinds(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in manifests}


def pod(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = kinds(manifests)["Deployment"]["spec"]["template"]["spec"]
    return spec


def router() -> Workload:
    return Workload(
        name="router",
        namespace="inference",
        component="router",
        container=ContainerSpec(
            image=f"ghcr.io/example/inferplane-router:1.0@{DIGEST}",
            port=8088,
            health_path="/healthz",
            resources=Resources(cpu=0.5, memory_gib=0.5),
        ),
        labels=ROUTER_POD_LABELS,
        replicas_min=2,
        replicas_max=6,
        files={"router.json": '{"stack": "dev"}'},
    )


CASES = [
    *(
        (engine, {"cache": cache})
        for engine in ENGINES
        for cache in ("pvc", "hostpath", "emptydir")
    ),
    ("llamacpp", {"gpus": 0, "runtime_class": None}),
    ("vllm", {"gpus": 4, "replicas_min": 2, "replicas_max": 8, "storage_class": "gp3"}),
    ("vllm", {"tolerations": (Toleration("nvidia.com/gpu", effect="NoSchedule"),)}),
    ("tgi", {"node_selector": {"nvidia.com/gpu.product": "NVIDIA-L4"}, "model_secret": "hf"}),
    ("vllm", {"router_namespace": "gateway"}),
]


@pytest.mark.parametrize(("engine", "changes"), CASES)
def test_every_object_passes_strict_schema(engine: str, changes: dict[str, Any]) -> None:
    import kubernetes_validate

    for manifest in model_server_manifests(config(engine, **changes)):
        assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_objects_stay_valid_on_the_newest_schema() -> None:
    import kubernetes_validate

    newest = kubernetes_validate.utils.latest_version()
    for manifest in model_server_manifests(config(cache="pvc", replicas_max=3)):
        assert kubernetes_validate.validate(manifest, newest, strict=True)


def test_router_workload_passes_strict_schema() -> None:
    import kubernetes_validate

    for manifest in workload_manifests(router()):
        assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_a_service_account_of_its_own_without_an_api_token() -> None:
    import kubernetes_validate

    annotated = dataclasses.replace(router(), service_account={"example.com/role": "r"})
    manifests = workload_manifests(annotated)
    for manifest in manifests:
        assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    account = kinds(manifests)["ServiceAccount"]
    assert account["metadata"]["name"] == "router"
    assert account["metadata"]["annotations"] == {"example.com/role": "r"}
    assert account["automountServiceAccountToken"] is False
    assert pod(manifests)["serviceAccountName"] == "router"
    assert pod(manifests)["automountServiceAccountToken"] is False
    assert "serviceAccountName" not in pod(workload_manifests(router()))


def test_the_cli_accepts_the_yaml_stream(tmp_path: Path) -> None:
    """What an edge bundle writes (one YAML stream) through the CLI, as CI would run it."""
    objects = model_server_manifests(config("llamacpp")) + workload_manifests(router())
    path = tmp_path / "inferplane.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=True))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "--kubernetes-version",
            KUBERNETES_VERSION,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" passed for resource ") == len(objects)


def test_an_invalid_object_fails_the_schema() -> None:
    """The check above can fail: a misspelt field is refused in strict mode."""
    import kubernetes_validate
    from kubernetes_validate.utils import ValidationError

    deployment = kinds(model_server_manifests(config()))["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_probes_watch_the_engines_health_path(engine: str) -> None:
    cfg = config(engine)
    container = pod(model_server_manifests(cfg))["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": cfg.command.health_path, "port": "http"}
    assert container["ports"] == [
        {"name": "http", "containerPort": cfg.command.port, "protocol": "TCP"}
    ]
    # A big model gets more time to load before liveness applies.
    assert container["startupProbe"]["failureThreshold"] * 10 >= 300


def test_startup_patience_grows_with_the_weights() -> None:
    small = pod(model_server_manifests(config(weights_gib=4.5)))["containers"][0]
    large = pod(model_server_manifests(config(weights_gib=140.0)))["containers"][0]
    assert large["startupProbe"]["failureThreshold"] > small["startupProbe"]["failureThreshold"]


@pytest.mark.parametrize("gpus", [1, 2, 8])
def test_gpus_are_requested_and_limited_alike(gpus: int) -> None:
    spec = pod(model_server_manifests(config(gpus=gpus)))
    resources = spec["containers"][0]["resources"]
    assert resources["requests"][GPU_RESOURCE] == resources["limits"][GPU_RESOURCE] == str(gpus)
    assert spec["runtimeClassName"] == "nvidia"
    assert {"name": "shm", "mountPath": "/dev/shm"} in spec["containers"][0]["volumeMounts"]


def test_cpu_only_server_has_no_gpu_or_runtime_class() -> None:
    spec = pod(model_server_manifests(config("llamacpp", gpus=0)))
    assert GPU_RESOURCE not in spec["containers"][0]["resources"]["limits"]
    assert "runtimeClassName" not in spec


def test_security_context_is_non_root_without_escalation() -> None:
    spec = pod(model_server_manifests(config("llamacpp")))
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 1000
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    context = spec["containers"][0]["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize(
    ("engine", "read_only"),
    [("llamacpp", True), ("ollama", True), ("vllm", False), ("tgi", False), ("triton", False)],
)
def test_root_filesystem_is_read_only_where_the_engine_allows(engine: str, read_only: bool) -> None:
    container = pod(model_server_manifests(config(engine)))["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is read_only
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_tolerations_and_node_selector_reach_the_pod() -> None:
    toleration = Toleration("nvidia.com/gpu", "Equal", "present", "NoSchedule")
    spec = pod(
        model_server_manifests(config(tolerations=(toleration,), node_selector={"gpu": "l4"}))
    )
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert spec["nodeSelector"] == {"gpu": "l4"}


@pytest.mark.parametrize(
    ("cache", "volume"),
    [
        ("pvc", {"persistentVolumeClaim": {"claimName": "llama-cache"}}),
        ("hostpath", {"hostPath": {"path": "/srv/models", "type": "DirectoryOrCreate"}}),
        ("emptydir", {"emptyDir": {"sizeLimit": "6Gi"}}),
    ],
)
def test_cache_volume_is_sized_from_the_weights(cache: str, volume: dict[str, Any]) -> None:
    manifests = model_server_manifests(config(cache=cache, cache_host_path="/srv/models"))
    assert {"name": "models", **volume} in pod(manifests)["volumes"]
    claim = kinds(manifests).get("PersistentVolumeClaim")
    if cache == "pvc":
        # 4.5 GiB of weights + 25% headroom, rounded up.
        assert claim is not None
        assert claim["spec"]["resources"]["requests"]["storage"] == "6Gi"
    else:
        assert claim is None


def test_a_preloaded_host_directory_is_mounted_read_only_and_must_exist() -> None:
    spec = pod(model_server_manifests(config(cache="hostpath", cache_read_only=True)))
    assert {
        "name": "models",
        "hostPath": {"path": "/var/lib/inferplane/models", "type": "Directory"},
    } in spec["volumes"]
    mount = {"name": "models", "mountPath": "/models", "readOnly": True}
    assert mount in spec["containers"][0]["volumeMounts"]


@pytest.mark.parametrize(("cache", "level"), [("pvc", "baseline"), ("hostpath", "privileged")])
def test_namespace_enforces_baseline_unless_the_cache_is_a_host_directory(
    cache: str, level: str
) -> None:
    namespace = kinds(model_server_manifests(config(cache=cache)))["Namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == level


def test_explicit_cache_size_and_class_win() -> None:
    claim = kinds(model_server_manifests(config(cache_gib=500, storage_class="fast")))[
        "PersistentVolumeClaim"
    ]
    assert claim["spec"]["resources"]["requests"]["storage"] == "500Gi"
    assert claim["spec"]["storageClassName"] == "fast"


def test_hpa_bounds_follow_replicas_and_deployment_leaves_count_to_it() -> None:
    manifests = kinds(model_server_manifests(config(replicas_min=2, replicas_max=5)))
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 5)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llama"}
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    assert "replicas" not in manifests["Deployment"]["spec"]


def test_fixed_size_server_has_no_hpa() -> None:
    manifests = kinds(model_server_manifests(config(replicas_min=2, replicas_max=2)))
    assert "HorizontalPodAutoscaler" not in manifests
    assert manifests["Deployment"]["spec"]["replicas"] == 2


def test_pdb_allows_one_disruption_of_the_servers_pods() -> None:
    manifests = kinds(model_server_manifests(config()))
    pdb = manifests["PodDisruptionBudget"]["spec"]
    assert pdb == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": manifests["Deployment"]["spec"]["selector"]["matchLabels"]},
    }


def test_network_policy_admits_only_the_router_on_the_server_port() -> None:
    manifests = kinds(model_server_manifests(config()))
    policy = manifests["NetworkPolicy"]["spec"]
    selector = manifests["Deployment"]["spec"]["selector"]["matchLabels"]
    assert policy["podSelector"] == {"matchLabels": selector}
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": dict(ROUTER_POD_LABELS)}}],
            "ports": [{"port": 8000, "protocol": "TCP"}],
        }
    ]
    # The router's own pods carry exactly those labels.
    router_pod = kinds(workload_manifests(router()))["Deployment"]["spec"]["template"]
    assert ROUTER_POD_LABELS.items() <= router_pod["metadata"]["labels"].items()


def test_network_policy_names_the_routers_namespace_when_elsewhere() -> None:
    policy = kinds(model_server_manifests(config(router_namespace="gateway")))["NetworkPolicy"]
    peer = policy["spec"]["ingress"][0]["from"][0]
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}


def test_service_is_cluster_ip_on_the_engine_port() -> None:
    service = kinds(model_server_manifests(config("ollama")))["Service"]["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [
        {"name": "http", "port": 11434, "targetPort": "http", "protocol": "TCP"}
    ]


def test_pinned_image_is_not_pulled_again_but_a_tag_is() -> None:
    pinned = pod(model_server_manifests(config()))["containers"][0]
    assert pinned["imagePullPolicy"] == "IfNotPresent"
    tagged = config(require_digest=False)
    tagged = dataclasses.replace(
        tagged, command=dataclasses.replace(tagged.command, image="vllm/vllm-openai:v0.11.0")
    )
    assert pod(model_server_manifests(tagged))["containers"][0]["imagePullPolicy"] == "Always"


def test_rendering_is_deterministic() -> None:
    assert yaml.safe_dump_all(model_server_manifests(config())) == yaml.safe_dump_all(
        model_server_manifests(config())
    )


def test_namespace_comes_first_and_can_be_left_out() -> None:
    with_ns = model_server_manifests(config())
    assert with_ns[0]["kind"] == "Namespace"
    assert with_ns[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert all(m["kind"] != "Namespace" for m in model_server_manifests(config(), namespace=False))


TAG_ONLY = "vllm/vllm-openai:v0.11.0"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Llama"}, "name 'Llama' is not a Kubernetes name"),
        ({"name": "9lives"}, "name '9lives'"),
        ({"namespace": "x" * 64}, "namespace"),
        ({"engine": "sglang"}, "engine 'sglang' is unknown; allowed: vllm"),
        ({"gpus": 17}, "gpus 17 is out of range; allowed: 0..16"),
        ({"replicas_min": 0}, "replicas_min 0 is out of range; allowed: 1..1000"),
        (
            {"replicas_min": 3, "replicas_max": 2},
            "replicas_max 2 is out of range; allowed: 3..1000",
        ),
        ({"cpu_target_percent": 0}, "cpu_target_percent 0"),
        ({"cache_gib": 100_000}, "cache.size_gib 100000 is out of range"),
        ({"weights_gib": 0.0}, "weights_gib 0.0 must be > 0"),
        ({"image": TAG_ONLY}, "is not pinned by digest; allowed: repo[:tag]@sha256:<64 hex>"),
        ({"image": "Not An Image"}, "is not an image reference"),
    ],
)
def test_invalid_arguments_are_refused_with_the_key(changes: dict[str, Any], message: str) -> None:
    image = changes.pop("image", None)
    engine = changes.pop("engine", None)
    cfg = config(**changes)
    if engine is not None:
        cfg = dataclasses.replace(cfg, engine=engine)
    if image is not None:
        cfg = dataclasses.replace(cfg, command=dataclasses.replace(cfg.command, image=image))
    with pytest.raises(ValueError, match=re.escape(message)):
        model_server_manifests(cfg)
