"""prod-k8s, planned for real: vLLM and the router on an existing EKS cluster, Bedrock as
the managed-API fallback. The router reaches the model server inside the cluster (its
NetworkPolicy admits only the router) and holds exactly the Bedrock grant through an EKS
Pod Identity role bound to its own service account. Its three replicas share their state
through ElastiCache Serverless in the cluster's VPC (router.state: managed)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.wiring import unreachable_reason
from inferplane.errors import SpecError
from inferplane.plan import Graph, run_program
from inferplane.router.config import ReplicaConfig, RouterConfig
from inferplane.spec import SPEC_KEY, StackFile, load_stack

ROOT = Path(__file__).resolve().parents[2]
HAIKU = "arn:aws:bedrock:eu-central-1::foundation-model/amazon.nova-lite-v1:0"
ROLE = "arn:aws:iam::123456789012:role/router-pod-role"
STATE_SECRET = "arn:aws:secretsmanager:eu-central-1:123456789012:secret/router-state-url"
TAGS = {
    "cost-center": "cc-4711",
    "data-class": "internal",
    "environment": "prod",
    "inferplane-target": "router",
    "managed-by": "inferplane",
    "owner": "ml-platform",
    "residency-zone": "eu",
}


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
        },
        # The managed state's URL: this one secret, nothing else in Secrets Manager.
        {
            "Sid": "Secretsmanager1",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [STATE_SECRET],
        },
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


def test_the_routers_managed_state_is_elasticache_in_the_clusters_vpc() -> None:
    """Exactly these resources make the state: the cache in the cluster's subnets behind a
    group admitting the cluster security group (what the nodes, so the pods, carry) on
    the cache ports only, its users (``default`` off) and the URL's secret."""
    made = {
        (r.type, r.name)
        for r in planned().resources
        if r.type.startswith("aws:") and r.name.startswith("router-state")
    }
    assert made == {
        ("aws:ec2/securityGroup:SecurityGroup", "router-state-cache"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "router-state-in"),
        ("aws:elasticache/user:User", "router-state-default"),
        ("aws:elasticache/user:User", "router-state-user"),
        ("aws:elasticache/userGroup:UserGroup", "router-state-users"),
        ("aws:elasticache/serverlessCache:ServerlessCache", "router-state-cache"),
        ("aws:secretsmanager/secret:Secret", "router-state-url"),
        ("aws:secretsmanager/secretVersion:SecretVersion", "router-state-url-value"),
    }
    cache = _one("aws:elasticache/serverlessCache:ServerlessCache", "router-state-cache")
    assert {k: cache[k] for k in ("engine", "region", "securityGroupIds", "subnetIds")} == {
        "engine": "valkey",
        "region": "eu-central-1",
        "securityGroupIds": ["router-state-cache-id"],
        # The cluster's subnets (aws.eks.get_cluster, offline: computed.INVOKE_RESULTS).
        "subnetIds": ["subnet-0offlinea", "subnet-0offlineb"],
    }
    group = _one("aws:ec2/securityGroup:SecurityGroup", "router-state-cache")
    assert group["vpcId"] == "vpc-0offline"
    assert _one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "router-state-in") == {
        "securityGroupId": "router-state-cache-id",
        "referencedSecurityGroupId": "sg-0offlinecluster",
        "fromPort": 6379,
        "toPort": 6380,
        "ipProtocol": "tcp",
        "region": "eu-central-1",
        "tags": TAGS,
    }
    default = _one("aws:elasticache/user:User", "router-state-default")
    assert (default["userName"], default["accessString"]) == ("default", "off -@all")
    assert (
        _one("aws:secretsmanager/secretVersion:SecretVersion", "router-state-url-value")[
            "secretString"
        ]
        == "[secret]"
    )


def test_the_routers_network_policy_reaches_the_cache_ports_in_the_vpc_and_pod_identity() -> None:
    import kubernetes_validate

    from inferplane.components.kubernetes.manifests import KUBERNETES_VERSION

    policy = _one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "router-workload-network-policy")
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": policy["metadata"],
        "spec": policy["spec"],
    }
    assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    to_ranges = [rule for rule in policy["spec"]["egress"] if "ipBlock" in rule["to"][0]]
    assert to_ranges == [
        {
            # The cluster VPC's ranges (aws.ec2.get_vpc), on the cache's two ports only.
            "to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}],
            "ports": [{"port": 6379, "protocol": "TCP"}, {"port": 6380, "protocol": "TCP"}],
        },
        # The Pod Identity agent its credentials (for Bedrock and the secret) come from.
        {
            "to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}],
            "ports": [{"port": 80, "protocol": "TCP"}],
        },
        {
            "to": [
                {
                    "ipBlock": {
                        "cidr": "0.0.0.0/0",
                        "except": [
                            "10.0.0.0/8",
                            "172.16.0.0/12",
                            "192.168.0.0/16",
                            "169.254.0.0/16",
                        ],
                    }
                }
            ],
            "ports": [{"port": 443, "protocol": "TCP"}],
        },
    ]


def test_the_router_pods_read_their_state_url_from_the_secret() -> None:
    files = _one("kubernetes:core/v1:ConfigMap", "router-workload-files")["data"]
    state = json.loads(files["router.json"])["state"]
    assert state == {
        "backend": "redis",
        "url": {"store": "aws_secretsmanager", "name": STATE_SECRET, "key": "url"},
    }
    assert "rediss://" not in files["router.json"]


def _off_eks(state: str) -> StackFile:
    """prod-k8s with its cluster unnamed (not an EKS cluster the stack can look up) and
    no AWS target."""
    stack = load_stack(ROOT, "prod-k8s")
    config = copy.deepcopy(stack.config)
    spec = config[SPEC_KEY]
    del spec["targets"]["llama-eks"]["cluster"]["name"]
    del spec["targets"]["claude-haiku"]
    spec["routes"] = [{"name": "default", "targets": ["llama-eks"]}]
    spec["router"]["state"] = state
    return replace(stack, name="off-eks", config=config)


def test_off_eks_auto_keeps_state_in_memory_and_managed_is_refused() -> None:
    graph = run_program(ROOT, _off_eks("auto"))
    assert not [r for r in graph.resources if r.name.startswith("router-state")]
    [router] = graph.by_type("inferplane:index:RouterService")
    assert "state" not in json.loads(router.outputs["config_json"])  # IP-SAF-013 flags prod
    with pytest.raises(SpecError) as caught:
        run_program(ROOT, _off_eks("managed"))
    [issue] = caught.value.issues
    assert issue.path == "router.state"
    assert "names no EKS cluster" in issue.message
