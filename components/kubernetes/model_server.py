"""ModelServer: vLLM, TGI, Ollama, llama.cpp or Triton on any Kubernetes cluster (EKS,
GKE, AKS, on-prem k3s), reached through an explicit provider built from a kubeconfig.

The objects are ``components.kubernetes.manifests.model_server_manifests``: the same ones
an edge bundle installs on k3s. The router is deployed next to it with
``KubernetesWorkload`` through ``self.provider`` into ``self.namespace``; its pods carry
``ROUTER_POD_LABELS``, the only pods the server's NetworkPolicy admits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from inferplane.components.base import EndpointInfo, TargetComponent
from inferplane.components.kubernetes.manifests import (
    EgressPeer,
    ModelServerConfig,
    default_deny_manifest,
    model_server_namespace,
    model_server_workload,
)
from inferplane.components.kubernetes.node_pool import GpuNodePool, node_pool_manifests
from inferplane.components.kubernetes.objects import headless_service
from inferplane.components.kubernetes.resources import register_manifest
from inferplane.components.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs
from inferplane.components.kubernetes.workload_spec import Manifest, Workload
from inferplane.components.wiring import Reach

__all__ = ["ModelServer", "ModelServerArgs"]


@dataclass(frozen=True, kw_only=True)
class ModelServerArgs(ModelServerConfig):
    """A model server (``ModelServerConfig``) plus the cluster it runs on."""

    kubeconfig: pulumi.Input[str]
    """Kubeconfig of the cluster (keep it a secret: read it with ``Config.get_secret``)."""
    context: str | None = None
    """Kubeconfig context to use; the kubeconfig's current context when absent."""
    create_namespace: bool = True
    """Create (and own) the namespace; off when the cluster's operators manage it."""
    node_pool: GpuNodePool | None = None
    """Karpenter NodePools for the server's GPU nodes (EKS with Karpenter); the pods must
    select ``node_pool.selector`` and tolerate ``node_pool.toleration``."""


class ModelServer(TargetComponent):
    """A model server Deployment with its Service, HPA, PDB and NetworkPolicy."""

    provider: pulumi.ProviderResource
    """The cluster's provider: deploy the router through it."""
    namespace: str
    workload: KubernetesWorkload
    router_peer: EgressPeer
    """What the router's NetworkPolicy must let it reach: this server's pods and port."""

    def __init__(
        self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        import pulumi_kubernetes as k8s

        workload = model_server_workload(args)
        workload.check()  # before anything is registered
        _check(args)
        pools = node_pool_manifests(args.node_pool) if args.node_pool else []
        super().__init__("inferplane:kubernetes:ModelServer", name, None, opts)
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=args.kubeconfig,
            context=args.context,
            # Objects name their namespace themselves; never fall back to "default".
            namespace=args.namespace,
            opts=self.child(),
        )
        self.namespace = args.namespace
        depends = self._namespace(name, args) if args.create_namespace else []
        if args.node_pool is not None:
            self._node_pool(name, args.node_pool.name, pools)
        self.router_peer = EgressPeer(args.namespace, workload.selector, workload.container.port)
        # Loading weights can outlast Pulumi's default 10-minute rollout wait.
        minutes = 10 + -(-workload.startup_seconds // 60)
        self.workload = KubernetesWorkload(
            f"{name}-server",
            KubernetesWorkloadArgs(workload, timeout_minutes=min(240, minutes), after=depends),
            opts=self.child(providers=[self.provider]),
        )
        endpoint = _endpoint(args, self.workload.url)
        if args.replica_service:
            endpoint["replicas"] = self._replica_service(name, workload, depends)
        self.endpoint = pulumi.Output.from_input(endpoint)
        self.register_target_outputs(namespace=self.namespace, service=self.workload.service_name)

    def _namespace(self, name: str, args: ModelServerArgs) -> list[pulumi.Resource]:
        """The namespace, then its default-deny policy: what every object waits for."""
        manifest = model_server_namespace(args)
        namespace = register_manifest(name, manifest, self.child(provider=self.provider))
        deny = register_manifest(
            f"{name}-default-deny",
            default_deny_manifest(args.namespace, args.labels),
            self.child(provider=self.provider, depends_on=[namespace]),
        )
        return [namespace, deny]

    def _node_pool(self, name: str, pool: str, manifests: list[Manifest]) -> None:
        for manifest in manifests:  # cluster-scoped: no namespace to wait for
            kind = manifest["metadata"]["name"].removeprefix(f"{pool}-")
            register_manifest(f"{name}-{kind}", manifest, self.child(provider=self.provider))

    def _replica_service(
        self, name: str, workload: Workload, depends: list[pulumi.Resource]
    ) -> dict[str, Any]:
        """The headless Service the router resolves to the pods, picking one per request."""
        replicas = headless_service(workload)
        register_manifest(
            f"{name}-replicas", replicas, self.child(provider=self.provider, depends_on=depends)
        )
        return {
            "dns": f"{replicas['metadata']['name']}.{workload.namespace}.svc.cluster.local",
            "port": workload.container.port,
            "path": workload.container.openai_base_path,
        }


def _endpoint(args: ModelServerArgs, url: str) -> EndpointInfo:
    # Ollama serves the quantized build under its tag, not the bare model name.
    served = args.command.env.get("OLLAMA_MODEL", args.model)
    # Wiring (docs/wiring.md): the NetworkPolicy admits only the router's pods, so the
    # namespace is the boundary and the server needs no caller auth of its own.
    return {
        "backend": "openai",
        "model": served,
        "url": url + args.command.openai_base_path,
        "auth": {"scheme": "none"},
        "reach": Reach(path="vpc", network=f"k8s:{args.namespace}"),
        "grants": [],
    }


def _check(args: ModelServerArgs) -> None:
    if args.node_pool is not None:
        _check_on_pool(args, args.node_pool)
    if args.context is not None and not args.context.strip():
        raise ValueError(f"context {args.context!r} must name a kubeconfig context")


def _check_on_pool(args: ModelServerArgs, pool: GpuNodePool) -> None:
    """The pods must be able to land on the pool's nodes, and only there."""
    if dict(args.node_selector) != pool.selector:
        raise ValueError(
            f"node_selector {dict(args.node_selector)}: with node_pool the pods select"
            f" exactly {pool.selector} (Karpenter launches nodes only for labels it knows)"
        )
    if not any(
        t.key == pool.toleration.key and t.operator == "Exists" and t.effect in (None, "NoSchedule")
        for t in args.tolerations
    ):
        raise ValueError(
            f"tolerations: the pool's nodes are tainted {pool.toleration.key}:NoSchedule;"
            " the pods must tolerate it"
        )
