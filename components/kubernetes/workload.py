"""KubernetesWorkload: any HTTP service on a cluster (the router beside a model server, or
the model server itself), applied from the same manifests the edge bundle ships."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi

from inferplane.components.kubernetes.objects import workload_manifests
from inferplane.components.kubernetes.pod import files_digest
from inferplane.components.kubernetes.resources import ROLES, register_manifest
from inferplane.components.kubernetes.workload_spec import Workload

__all__ = ["KubernetesWorkload", "KubernetesWorkloadArgs"]


@dataclass(frozen=True)
class KubernetesWorkloadArgs:
    workload: Workload
    """What to run (its string ``files`` apply unless ``files`` below is given)."""
    files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Files mounted from a ConfigMap, outputs allowed (e.g. the router's RouterConfig
    JSON rendered from the targets' endpoints); replaces the workload's files."""
    timeout_minutes: int = 10
    """How long ``pulumi up`` waits for the Deployment to roll out."""
    after: Sequence[pulumi.Resource] = ()
    """Resources every object waits for, typically the namespace (a component's own
    ``depends_on`` does not reach its children)."""


class KubernetesWorkload(pulumi.ComponentResource):
    """Deployment, Service, HPA, PDB, NetworkPolicy (and cache claim, files ConfigMap) of
    one workload. Pass the cluster's provider with ``opts=ResourceOptions(providers=[p])``
    (or parent it to a component that has it) and ``depends_on`` its namespace."""

    service_name: str
    """Name of the ClusterIP Service (same as the workload)."""
    url: str
    """In-cluster base URL: ``http://<svc>.<ns>.svc.cluster.local:<port>``."""

    def __init__(
        self,
        name: str,
        args: KubernetesWorkloadArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not 1 <= args.timeout_minutes <= 240:
            raise ValueError(
                f"timeout_minutes {args.timeout_minutes} is out of range; allowed: 1..240"
            )
        args.workload.check()
        super().__init__("inferplane:kubernetes:Workload", name, None, opts)
        workload = args.workload
        if args.files:
            digest = pulumi.Output.all(**args.files).apply(files_digest)
            workload = replace(workload, files=dict(args.files), files_digest=digest)
        self.resources: dict[str, pulumi.CustomResource] = {}
        for manifest in workload_manifests(workload):
            role = ROLES[(manifest["apiVersion"], manifest["kind"])]
            self.resources[role] = register_manifest(name, manifest, self._options(role, args))
        self.service_name = workload.name
        port = workload.container.port
        self.url = f"http://{workload.name}.{workload.namespace}.svc.cluster.local:{port}"
        self.register_outputs({"service_name": self.service_name, "url": self.url})

    def _options(self, role: str, args: KubernetesWorkloadArgs) -> pulumi.ResourceOptions:
        after = list(args.after)
        if role != "deployment":
            return pulumi.ResourceOptions(parent=self, depends_on=after)
        # The pod mounts the claim and the files by name: create them first.
        after += [self.resources[r] for r in ("files", "cache") if r in self.resources]
        minutes = f"{args.timeout_minutes}m"
        return pulumi.ResourceOptions(
            parent=self,
            depends_on=after,
            custom_timeouts=pulumi.CustomTimeouts(create=minutes, update=minutes),
        )
