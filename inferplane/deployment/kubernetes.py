"""Kubernetes targets -> ``components.kubernetes.ModelServer``."""

from __future__ import annotations

from dataclasses import replace

import pulumi

from components.kubernetes.autoscaling import SignalScaling, WakeSignal
from components.kubernetes.manifests import IngressPeer, Toleration
from components.kubernetes.model_server import ModelServer, ModelServerArgs
from components.kubernetes.node_pool import GpuNodePool
from inferplane.catalog.engine_metrics import default_target
from inferplane.deployment.context import DeployContext
from inferplane.errors import Issue, SpecError
from inferplane.serving import render
from inferplane.spec.targets.selfhosted import KubernetesTarget, cache_floor_gib
from inferplane.spec.wake import wakes

__all__ = ["model_server", "secret_config"]


def model_server(name: str, target: KubernetesTarget, ctx: DeployContext) -> ModelServer:
    kubeconfig = secret_config(target.cluster.kubeconfig, f"targets.{name}.cluster.kubeconfig")
    serving = target.serving
    command = render(target.model, serving)
    scaling = target.scaling
    signal: SignalScaling | None = None
    scrapers: tuple[IngressPeer, ...] = ()
    if scaling.signal != "cpu":
        assert scaling.prometheus is not None  # the spec requires it with an LLM signal
        signal = SignalScaling(
            name=name,
            namespace=target.namespace,
            engine=serving.engine,
            signal=scaling.signal,
            prometheus_url=scaling.prometheus.url,
            replicas_min=scaling.min,
            replicas_max=scaling.max,
            threshold=scaling.target
            or default_target(serving.engine, scaling.signal, serving.batching.max_seqs),
            production=ctx.spec.environment == "prod",
            labels=ctx.labels(name).kubernetes(),
            wake=_wake(ctx, name),
        )
        scrapers = (IngressPeer(scaling.prometheus.namespace, dict(scaling.prometheus.pod_labels)),)
        if serving.engine == "llamacpp" and "--metrics" not in command.args:
            # llama-server serves /metrics only when asked.
            command = replace(command, args=(*command.args, "--metrics"))
    pool = _node_pool(name, target, ctx)
    tolerations = tuple(Toleration(**t.model_dump()) for t in target.tolerations)
    if pool is not None and pool.toleration not in tolerations:
        tolerations += (pool.toleration,)
    args = ModelServerArgs(
        name=name,
        namespace=target.namespace,
        model=target.model,
        engine=serving.engine,
        command=command,
        weights_gib=cache_floor_gib(target.model, serving),
        gpus=target.gpus,
        runtime_class=target.runtime_class,
        node_selector=pool.selector if pool else dict(target.node_selector),
        tolerations=tolerations,
        node_pool=pool,
        cache=target.cache,
        cache_gib=target.cache_gb,
        cache_host_path=target.cache_host_path,
        storage_class=target.storage_class,
        model_secret=target.model_secret,
        replicas_min=target.scaling.min,
        replicas_max=target.scaling.max,
        cpu_target_percent=round(scaling.target or 70) if signal is None else 70,
        signal_scaling=signal,
        keda=scaling.keda,
        scrapers=scrapers,
        replica_service=target.replica_routing != "service",
        labels=ctx.labels(name).kubernetes(),
        # Outside prod a tag is accepted (and pulled with imagePullPolicy Always); the
        # spec check refuses a prod server without a digest before anything is built.
        require_digest=ctx.spec.environment == "prod",
        kubeconfig=kubeconfig,
    )
    return ModelServer(name, args)


def _node_pool(name: str, target: KubernetesTarget, ctx: DeployContext) -> GpuNodePool | None:
    spec = target.node_pool
    if spec is None:
        return None
    return GpuNodePool(
        name=ctx.resource_name(name),
        instance_types=spec.instance_types,
        max_nodes=spec.max_nodes,
        on_demand_base=spec.on_demand_base,
        node_class=spec.node_class,
        expire_after=spec.expire_after,
        labels=ctx.labels(name).kubernetes(),
    )


def secret_config(key: str, path: str) -> pulumi.Output[str]:
    """The stack config value at ``key`` (``namespace:name``) as a secret output."""
    namespace, _, name = key.partition(":")
    value = pulumi.Config(namespace).get_secret(name)
    if value is None:
        raise SpecError(
            [
                Issue(
                    path,
                    f"stack config has no {key!r}; set it with "
                    f"`pulumi config set --secret {key} ...`",
                    key,
                )
            ],
            f"stack {pulumi.get_stack()}",
        )
    return value


def _wake(ctx: DeployContext, name: str) -> WakeSignal | None:
    """The router's demand signal for ``name`` when it scales to zero (spec.wake)."""
    for wake in wakes(ctx.spec):
        if wake.target == name:
            return WakeSignal(wake.router_namespace, wake.target)
    return None
