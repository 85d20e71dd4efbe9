"""prod-k8s, planned for real: vLLM and the router on an existing EKS cluster, Bedrock as
the managed-API fallback. The router reaches the model server inside the cluster (its
NetworkPolicy admits only the router) and holds exactly the Bedrock grant through an EKS
Pod Identity role bound to its own service account."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from components.wiring import unreachable_reason
from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack
from router.config import ReplicaConfig, RouterConfig

ROOT = Path(__file__).resolve().parents[2]
HAIKU = "arn:aws:bedrock:eu-central-1::foundation-model/amazon.nova-lite-v1:0"
ROLE = "arn:aws:iam::123456789012:role/router-pod-role"


@cache
def planned() -> Graph:
    return run_program(ROOT, load_stack(ROOT, "prod-k8s"))


def _one(type_: str, name: str) -> dict[str, Any]:
    found = [r for r in planned().by_type(type_) if r.name == name]
    assert len(found) == 1, (type_, name)
    inputs: dict[str, Any] = found[0].inputs
    return inputs


def _router() -> dict[str, Any]:
    [router] = planned().by_type("inferplane:index:RouterService")
    outputs: dict[str, Any] = router.outputs
    return outputs


def _endpoints() -> dict[str, dict[str, Any]]:
    return {r.name: r.outputs["endpoint"] for r in planned().resources if "endpoint" in r.outputs}


def test_plan_has_the_kubernetes_server_its_autoscaler_policies_and_the_router() -> None:
    """bars: Deployment, a ScaledObject (KEDA on vLLM's queue) or HPA, NetworkPolicies and
    the router on Kubernetes."""
    kinds = {
        (r.type.removeprefix("kubernetes:"), r.name)
        for r in planned().resources
        if r.type.startswith("kubernetes:")
    }
    assert kinds == {
        ("core/v1:Namespace", "llama-eks-namespace"),
        ("networking.k8s.io/v1:NetworkPolicy", "llama-eks-default-deny-network-policy"),
        ("core/v1:PersistentVolumeClaim", "llama-eks-server-cache"),
        ("apps/v1:Deployment", "llama-eks-server-deployment"),
        ("core/v1:Service", "llama-eks-server-service"),
        ("core/v1:Service", "llama-eks-replicas-service"),
        ("keda.sh/v1alpha1:ScaledObject", "llama-eks-server-scaled-object"),
        ("policy/v1:PodDisruptionBudget", "llama-eks-server-pdb"),
        ("networking.k8s.io/v1:NetworkPolicy", "llama-eks-server-network-policy"),
        # GPU nodes from Karpenter: an on-demand base, spot with on-demand fallback.
        ("karpenter.sh/v1:NodePool", "llama-eks-base-node-pool"),
        ("karpenter.sh/v1:NodePool", "llama-eks-spot-node-pool"),
        ("core/v1:ServiceAccount", "router-workload-service-account"),
        ("core/v1:ConfigMap", "router-workload-files"),
        ("apps/v1:Deployment", "router-workload-deployment"),
        ("core/v1:Service", "router-workload-service"),
        ("autoscaling/v2:HorizontalPodAutoscaler", "router-workload-hpa"),
        ("policy/v1:PodDisruptionBudget", "router-workload-pdb"),
        ("networking.k8s.io/v1:NetworkPolicy", "router-workload-network-policy"),
    }
    assert _router()["platform"] == "kubernetes"
    server = _one("kubernetes:apps/v1:Deployment", "llama-eks-server-deployment")
    [container] = server["spec"]["template"]["spec"]["containers"]
    assert container["image"] == (
        "vllm/vllm-openai:v0.11.0@sha256:"
        "014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c"
    )


def test_vllm_scales_on_its_waiting_requests_through_keda() -> None:
    spec = _one("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-eks-server-scaled-object")[
        "spec"
    ]
    [trigger] = spec["triggers"]
    assert trigger["metadata"]["query"] == (
        'sum(vllm:num_requests_waiting{namespace="llm",pod=~"llama-eks-.*"})'
    )
    assert trigger["metadata"]["threshold"] == "16"  # max_seqs 64 / 4
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 4)


def test_model_server_publishes_its_wiring() -> None:
    assert _endpoints()["llama-eks"] == {
        "backend": "openai",
        "model": "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
        "url": "http://llama-eks.llm.svc.cluster.local:8000/v1",
        "auth": {"scheme": "none"},
        "reach": {"path": "vpc", "network": "k8s:llm"},
        "grants": [],
        "replicas": {
            "dns": "llama-eks-replicas.llm.svc.cluster.local",
            "port": 8000,
            "path": "/v1",
        },
    }


def test_router_chooses_the_vllm_replica_by_prefix_through_the_headless_service() -> None:
    """issue 16: the router resolves the headless Service the component created and
    picks the replica by prompt prefix."""
    service = _one("kubernetes:core/v1:Service", "llama-eks-replicas-service")
    assert (service["metadata"]["name"], service["spec"]["clusterIP"]) == (
        "llama-eks-replicas",
        "None",
    )
    files = _one("kubernetes:core/v1:ConfigMap", "router-workload-files")["data"]
    config = RouterConfig.from_json(files["router.json"])
    replicas = config.targets["llama-eks"].replicas
    assert replicas == ReplicaConfig(
        dns="llama-eks-replicas.llm.svc.cluster.local", port=8000, path="/v1", policy="prefix"
    )
    assert config.targets["llama-eks"].cold is None  # min 1 in prod


def test_finding_every_target_is_reachable_from_the_routers_network() -> None:
    network = _router()["network"]
    assert network == {"internet": True, "networks": ["k8s:llm"], "interface_endpoints": []}
    assert {name: unreachable_reason(network, e["reach"]) for name, e in _endpoints().items()} == {
        "llama-eks": None,
        "claude-haiku": None,
    }


def test_finding_router_holds_exactly_the_bedrock_grant_through_pod_identity() -> None:
    assert _router()["identity"] == [{"cloud": "aws", "principal": ROLE}]
    trust = json.loads(_one("aws:iam/role:Role", "router-pod-role")["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    policy = _one("aws:iam/rolePolicy:RolePolicy", "router-invoke")
    assert policy["role"] == "router-pod-role-id"
    assert json.loads(policy["policy"])["Statement"] == [
        {
            "Sid": "Bedrock0",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [HAIKU],
        }
    ]
    association = _one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation", "router-pod-identity"
    )
    assert {k: association[k] for k in ("clusterName", "namespace", "serviceAccount")} == {
        "clusterName": "prod-eks",
        "namespace": "llm",
        "serviceAccount": "router",
    }
    assert association["roleArn"] == ROLE
    assert association["region"] == "eu-central-1"


def test_router_pods_run_as_their_own_account_without_an_api_token() -> None:
    account = _one("kubernetes:core/v1:ServiceAccount", "router-workload-service-account")
    assert account["metadata"]["name"] == "router"
    assert account["automountServiceAccountToken"] is False
    pod = _one("kubernetes:apps/v1:Deployment", "router-workload-deployment")["spec"]["template"]
    assert pod["spec"]["serviceAccountName"] == "router"
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_router_config_reaches_bedrock_with_sigv4_and_the_server_without_auth() -> None:
    config = json.loads(_router()["config_json"])
    assert config["targets"]["claude-haiku"]["auth"] == {"scheme": "sigv4", "service": "bedrock"}
    assert "auth" not in config["targets"]["llama-eks"]  # scheme none is the default
