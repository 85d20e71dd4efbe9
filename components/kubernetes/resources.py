"""The one mapping from a manifest (``components.kubernetes.manifests``) to the typed
``pulumi_kubernetes`` resource that applies it, so the recorded inputs are the manifest."""

from __future__ import annotations

from typing import Any

import pulumi

from inferplane.components.kubernetes.workload_spec import Manifest

__all__ = ["ROLES", "register_manifest"]

ROLES: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "namespace",
    ("v1", "ServiceAccount"): "service-account",
    ("v1", "ConfigMap"): "files",
    ("v1", "PersistentVolumeClaim"): "cache",
    ("apps/v1", "Deployment"): "deployment",
    ("v1", "Service"): "service",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "hpa",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaled-object",
    ("karpenter.sh/v1", "NodePool"): "node-pool",
    ("policy/v1", "PodDisruptionBudget"): "pdb",
    ("networking.k8s.io/v1", "NetworkPolicy"): "network-policy",
}
"""Kinds the renderers emit, and the role that names their Pulumi resource."""

_KEYWORDS = {
    "metadata": "metadata",
    "spec": "spec",
    "data": "data",
    "automountServiceAccountToken": "automount_service_account_token",
}
"""A manifest's top-level fields and the constructor keyword each is passed as."""


def register_manifest(
    name: str, manifest: Manifest, opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Register ``manifest`` as ``f"{name}-<role>"``."""
    import pulumi_kubernetes as k8s

    classes: dict[str, Any] = {
        "namespace": k8s.core.v1.Namespace,
        "service-account": k8s.core.v1.ServiceAccount,
        "files": k8s.core.v1.ConfigMap,
        "cache": k8s.core.v1.PersistentVolumeClaim,
        "deployment": k8s.apps.v1.Deployment,
        "service": k8s.core.v1.Service,
        "hpa": k8s.autoscaling.v2.HorizontalPodAutoscaler,
        "pdb": k8s.policy.v1.PodDisruptionBudget,
        "network-policy": k8s.networking.v1.NetworkPolicy,
    }
    key = (manifest["apiVersion"], manifest["kind"])
    role = ROLES.get(key)
    if role is None:
        raise ValueError(f"manifest kind {key} is not registrable; allowed: {sorted(ROLES)}")
    if role in ("scaled-object", "node-pool"):
        # A CRD's object (KEDA, Karpenter must be installed): apiVersion and kind are
        # inputs too.
        custom: pulumi.CustomResource = k8s.apiextensions.CustomResource(
            f"{name}-{role}",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=opts,
        )
        return custom
    fields = {_KEYWORDS[k]: v for k, v in manifest.items() if k in _KEYWORDS}
    resource: pulumi.CustomResource = classes[role](f"{name}-{role}", opts=opts, **fields)
    return resource
