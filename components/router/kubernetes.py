"""The router on Kubernetes: a ``KubernetesWorkload`` beside a ModelServer, through its
provider, with its config as the ``router.json`` file of a ConfigMap. Its NetworkPolicy
admits its own and the declared callers' namespaces and lets it reach exactly its model
servers, the cluster DNS, (when a target is outside) HTTPS and (with managed state) its Redis.
On EKS, with AWS grants, its service account gets an IAM role through EKS Pod Identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from inferplane.components.container import Resources
from inferplane.components.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs
from inferplane.components.kubernetes.workload_spec import (
    ROUTER_POD_LABELS,
    CidrEgress,
    EgressPeer,
    IngressPeer,
    Workload,
)
from inferplane.components.router.aws_policy import invoke_policy
from inferplane.components.router.service import RouterImageArgs, RouterService
from inferplane.components.wiring import Grant, RouterIdentity, RouterNetwork
from inferplane.router.contract import CONFIG_FILE, CONFIG_PATH, METRICS_PORT, ROUTER_PORT

__all__ = ["EksCluster", "KubernetesRouter", "KubernetesRouterArgs"]

ROUTER_NAME = "router"
"""Name of the router's workload and of its service account."""
POD_IDENTITY_AGENT = CidrEgress(cidrs=("169.254.170.23/32",), ports=(80,))
"""The EKS Pod Identity agent (a host-network DaemonSet on every node): the router's AWS
credentials come from it, and internet egress excludes link-local addresses."""


@dataclass(frozen=True)
class EksCluster:
    """The EKS cluster a router runs in, whose Pod Identity gives it an AWS identity (the
    cluster needs the ``eks-pod-identity-agent`` add-on)."""

    name: str
    """The cluster's name."""
    region: str
    """The cluster's region."""


@dataclass(frozen=True, kw_only=True)
class KubernetesRouterArgs(RouterImageArgs):
    """The router as a workload in a model server's namespace."""

    provider: pulumi.ProviderResource
    """The cluster's provider."""
    namespace: str
    """Namespace beside the model server."""
    targets: Sequence[EgressPeer] = ()
    """The model servers the router calls: its NetworkPolicy lets it reach exactly these
    pods and ports, and the cluster DNS."""
    callers: Sequence[str] = ()
    """Namespaces whose pods may call the router besides its own (the ingress
    controller's); nothing else reaches it."""
    scrapers: Sequence[IngressPeer] = ()
    """The Prometheus that reads the router's demand for scaled-to-zero model servers on
    the operator port ``METRICS_PORT`` (empty: the port stays closed)."""
    internet: bool = False
    """The router also calls targets outside the cluster over HTTPS."""
    state: CidrEgress | None = None
    """Where its managed Redis answers (``inferplane.deployment.router_state``): its
    NetworkPolicy lets it reach these ranges on these ports."""
    grants: pulumi.Input[Sequence[Grant]] = ()
    """The AWS targets' wiring grants: what the router's AWS role may call (needs
    ``eks``)."""
    eks: EksCluster | None = None
    """The EKS cluster it runs in; with AWS ``grants`` the router gets an IAM role holding
    them, bound to its own service account by an EKS Pod Identity association."""

    def check(self) -> None:
        super().check()
        if self.grants and self.eks is None:
            raise ValueError(
                "eks: None, but the router on Kubernetes calls AWS targets; allowed: the EKS "
                "cluster (name and region) whose Pod Identity gives the router an AWS identity"
            )


class KubernetesRouter(RouterService):
    """The stack's router on a Kubernetes cluster."""

    def __init__(
        self, name: str, args: KubernetesRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args.check()
        super().__init__("kubernetes", name, args, opts)
        self.network = pulumi.Output.from_input(_network(args))
        if args.grants and args.eks is not None:  # grants: statically empty without AWS targets
            self.identity = self._eks_pod_identity(name, args, args.eks)
        deployed = KubernetesWorkload(
            f"{name}-workload",
            KubernetesWorkloadArgs(_workload(args), files={CONFIG_FILE: self.config_json}),
            opts=self.child(providers=[args.provider]),
        )
        self.finish(deployed.url)

    def _eks_pod_identity(
        self, name: str, args: KubernetesRouterArgs, cluster: EksCluster
    ) -> pulumi.Output[list[RouterIdentity]]:
        """An IAM role holding the AWS targets' grants, assumed by the router's service
        account through EKS Pod Identity: no long-lived key in the cluster, and no OIDC
        provider ARN to carry in the spec (the association names cluster, namespace and
        service account; the trust policy names only the Pod Identity service)."""
        from inferplane.components.router.eks_identity import pod_identity_role

        role_arn = pod_identity_role(
            self,
            name,
            cluster=cluster,
            namespace=args.namespace,
            service_account=ROUTER_NAME,
            policy=invoke_policy(args.grants),
            tags=args.labels.tags(),
        )
        return role_arn.apply(lambda arn: [RouterIdentity(cloud="aws", principal=arn)])


def _network(args: KubernetesRouterArgs) -> RouterNetwork:
    namespaces = sorted({args.namespace, *(p.namespace for p in args.targets)})
    return RouterNetwork(
        internet=args.internet,
        networks=[f"k8s:{ns}" for ns in namespaces],
        interface_endpoints=[],
    )


def _workload(args: KubernetesRouterArgs) -> Workload:
    command = ("--config", CONFIG_PATH, "--host", "0.0.0.0", "--port", str(ROUTER_PORT))
    resources = Resources(cpu=0.5, memory_gib=args.memory_mb / 1024)
    scrapers = tuple(args.scrapers)
    return Workload(
        name=ROUTER_NAME,
        namespace=args.namespace,
        component="router",
        # The config is a file (CONFIG_PATH), not an environment variable.
        container=args.container(args.environment, resources, command),
        labels={**args.labels.kubernetes(), **ROUTER_POD_LABELS},
        replicas_min=1,
        replicas_max=args.replicas,
        # Default closed: callers from its own and the declared namespaces only.
        allow_namespaces=tuple(dict.fromkeys((args.namespace, *args.callers))),
        egress_to=tuple(args.targets),
        egress_cidrs=_egress_cidrs(args),
        egress_https_internet=args.internet,
        # Its own account, so a cloud identity binds to the router and nothing else.
        service_account={},
        scrapers=scrapers,
        metrics_port=METRICS_PORT if scrapers else None,
    )


def _egress_cidrs(args: KubernetesRouterArgs) -> tuple[CidrEgress, ...]:
    """Its managed Redis, and the Pod Identity agent when it has an AWS role."""
    found = [args.state] if args.state is not None else []
    if args.grants and args.eks is not None:
        found.append(POD_IDENTITY_AGENT)
    return tuple(found)
