"""The checkpoint a self-hosted target downloads is what the spec believes it is: it exists
(at the pinned revision), is not disabled, is gated only if a token is wired, is stored in
the quantization the engine flags expect, and has the parameter count the fit rule used.

Offline, the spec fills these facts from a dated table (``inferplane.catalog.checkpoints``)
or the ``checkpoint`` block; this check confirms them with the Hugging Face Hub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.hub import HubModel
from inferplane.preflight.result import CheckResult
from inferplane.serving.memory import params_from_name
from inferplane.spec.checkpoint import checkpoint_of
from inferplane.spec.targets import (
    CloudRunTarget,
    ContainerAppTarget,
    GpuFleetTarget,
    KubernetesTarget,
    SageMakerServerlessTarget,
    SageMakerTarget,
    TargetBase,
)

__all__ = ["NAME", "applies", "run"]

NAME = "hf-checkpoint"
HUB_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
PARAMS_TOLERANCE = 0.15
"""How far the Hub's parameter count may be from the one the fit rule used (embeddings and
heads make names like ``7B`` approximate)."""
_DOWNLOADERS = (
    GpuFleetTarget,
    KubernetesTarget,
    SageMakerTarget,
    SageMakerServerlessTarget,
    CloudRunTarget,
    ContainerAppTarget,
)


def hub_repo(target: TargetBase) -> str | None:
    """The Hub repo ``target`` downloads at start, or None (weights from S3, a ready
    image, a managed model)."""
    if not isinstance(target, _DOWNLOADERS):
        return None
    if isinstance(target, SageMakerTarget | SageMakerServerlessTarget) and target.model_data:
        return None
    if isinstance(target, CloudRunTarget | ContainerAppTarget) and target.serving is None:
        return None
    return target.model if HUB_REPO.match(target.model) else None


def applies(subject: Subject) -> bool:
    return subject.target is not None and hub_repo(subject.target) is not None


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    target = subject.target
    assert target is not None
    repo = hub_repo(target)
    assert repo is not None
    declared = target.checkpoint
    revision = declared.revision if declared else None
    found: HubModel | None = ctx.memo(
        ("hub", repo, revision), lambda: ctx.hub.model_info(repo, revision)
    )
    at = f"{repo}@{revision}" if revision else repo
    if found is None:
        yield _fail(subject, f"the Hub has no {at} (or it is private and HF_TOKEN is not set)")
        return
    if found.disabled:
        yield _fail(subject, f"{at} is disabled on the Hub")
        return
    problems = [*_gating(target, found), *_quantization(target, found), *_params(target, found)]
    for problem in problems:
        yield _fail(subject, problem)
    if not problems:
        sha = f" at {found.sha[:12]}" if found.sha else ""
        yield CheckResult(NAME, subject.name, "pass", f"{at}{sha} matches the spec")


def _fail(subject: Subject, reason: str) -> CheckResult:
    return CheckResult(NAME, subject.name, "fail", reason)


def _token_wired(target: TargetBase) -> bool:
    if isinstance(target, GpuFleetTarget | CloudRunTarget | ContainerAppTarget):
        return target.hf_token_secret is not None
    if isinstance(target, KubernetesTarget):
        return target.model_secret is not None
    return False


def _gating(target: TargetBase, found: HubModel) -> Iterator[str]:
    believed = checkpoint_of(target.model, target.checkpoint).gated
    if found.gated and not _token_wired(target):
        yield (
            f"{found.repo} is gated on the Hub but no token reaches the server "
            f"(the spec believed gated={believed}): set checkpoint.gated: true and wire a token"
        )


def _quantization(target: TargetBase, found: HubModel) -> Iterator[str]:
    believed = checkpoint_of(target.model, target.checkpoint).quantization
    if believed in (None, "q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"):
        return  # unknown to the spec, or GGUF (the Hub config does not describe GGUF files)
    stored = found.quantization or "none"
    if stored == "compressed-tensors" and believed in ("fp8", "int8"):
        return  # llm-compressor's format for fp8/int8 checkpoints
    if stored != believed:
        yield (
            f"{found.repo} is stored as {stored!r} on the Hub, the spec believed "
            f"{believed!r}: the engine flags rendered from it would not load it"
        )


def _params(target: TargetBase, found: HubModel) -> Iterator[str]:
    view = checkpoint_of(target.model, target.checkpoint)
    used = view.params_b or params_from_name(target.model)
    if used is None or found.params_b is None or view.quantization not in (None, "none"):
        return  # quantized safetensors count packed integers, not parameters
    if abs(found.params_b - used) / used > PARAMS_TOLERANCE:
        yield (
            f"{found.repo} has {found.params_b:.2f}B parameters on the Hub; the fit rule "
            f"used {used:g}B: the memory estimate is off (set params in the checkpoint table "
            "or pick an instance for the real size)"
        )
