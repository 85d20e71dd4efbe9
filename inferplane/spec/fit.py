"""Will the model load? Weights + KV cache against the memory of what a target runs on,
and the checkpoint facts (quantization, gating) the engine flags must agree with.

Estimates, deliberately simple and conservative: weights = params x bytes/param of the
stored (or on-load) quantization; KV cache for one full-context sequence at 16 bits
(engines refuse to start when even one ``max_model_len`` sequence does not fit; more
concurrent sequences only lower throughput); 1 GiB + 10 % of weights for the runtime
(CUDA context, activations). GPU memory counts at 90 % (vLLM's default utilisation),
unified edge memory at 75 % (the OS shares it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from inferplane.catalog.accelerators import (
    CLOUD_RUN_GPU,
    CONTAINER_APP_GPU,
    EDGE_PROFILE,
    GpuSpec,
    gpu_of,
)
from inferplane.errors import Issue
from inferplane.serving.memory import BYTES_PER_PARAM, params_from_name
from inferplane.spec.checkpoint import checkpoint_of
from inferplane.spec.serving import Serving
from inferplane.spec.targets import (
    AzureMlTarget,
    CloudRunTarget,
    ContainerAppTarget,
    EdgeTarget,
    GpuFleetTarget,
    KubernetesTarget,
    SageMakerServerlessTarget,
    SageMakerTarget,
    TargetBase,
    VertexTarget,
)

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["FitDecision", "fit_issues", "fit_of", "fit_table"]

DEFAULT_CONTEXT = 4096
"""Context length assumed when the spec gives none (the engines' common default)."""
GPU_USABLE = 0.9
UNIFIED_USABLE = 0.75
GIB = 2**30

Verdict = Literal["fits", "refused", "managed", "unknown"]

QUANTIZE_ON_LOAD: dict[str, frozenset[str]] = {
    "vllm": frozenset({"fp8", "int8"}),
    "tgi": frozenset({"fp8", "int8"}),
}
"""Quantizations an engine applies to 16-bit weights while loading them; every other
``--quantization`` value needs a checkpoint stored that way (vLLM exits otherwise)."""


@dataclass(frozen=True)
class FitDecision:
    """One target's decision, with the numbers behind it."""

    target: str
    kind: str
    verdict: Verdict
    key: str
    """The spec key whose value sets the memory (what to change to make it fit)."""
    runs_on: str
    need_gib: float | None = None
    have_gib: float | None = None
    detail: str = ""


def _serving(target: TargetBase) -> Serving | None:
    serving = getattr(target, "serving", None)
    return serving if isinstance(serving, Serving) else None


def _memory(name: str, target: TargetBase) -> tuple[str, str, float | None, float]:
    """(key, what it runs on, GiB or None when unknown, usable fraction)."""
    path = f"targets.{name}"

    def gpu(spec: GpuSpec | None, key: str, what: str) -> tuple[str, str, float | None, float]:
        if spec is None:
            return f"{path}.{key}", f"{what} (not in the GPU table)", None, GPU_USABLE
        return f"{path}.{key}", f"{what}: {spec}", spec.total_gib, GPU_USABLE

    if isinstance(target, GpuFleetTarget | SageMakerTarget | AzureMlTarget):
        return gpu(gpu_of(target.instance_type), "instance_type", target.instance_type)
    if isinstance(target, SageMakerServerlessTarget):
        gib = target.memory_mb / 1024
        return f"{path}.memory_mb", f"serverless CPU {target.memory_mb} MB", gib, 1.0
    if isinstance(target, VertexTarget):
        if target.accelerator is not None:
            return (
                f"{path}.accelerator",
                f"{target.accelerator.type} x{target.accelerator.count}",
                None,
                GPU_USABLE,
            )
        return gpu(gpu_of(target.machine_type), "machine_type", target.machine_type)
    if isinstance(target, CloudRunTarget):
        if target.gpu is not None:
            return gpu(CLOUD_RUN_GPU.get(target.gpu.type), "gpu", f"Cloud Run {target.gpu.type}")
        return (
            f"{path}.memory_gib",
            f"Cloud Run CPU {target.memory_gib:g} GiB",
            target.memory_gib,
            1.0,
        )
    if isinstance(target, ContainerAppTarget):
        if target.gpu_profile is not None:
            return gpu(CONTAINER_APP_GPU.get(target.gpu_profile), "gpu_profile", target.gpu_profile)
        return (
            f"{path}.memory_gib",
            f"Container Apps CPU {target.memory_gib:g} GiB",
            target.memory_gib,
            1.0,
        )
    if isinstance(target, EdgeTarget):
        spec = EDGE_PROFILE.get(target.profile)
        if spec is None:
            return f"{path}.profile", f"edge {target.profile} (host memory varies)", None, 1.0
        return f"{path}.profile", f"edge {target.profile}: {spec}", spec.total_gib, UNIFIED_USABLE
    if isinstance(target, KubernetesTarget):
        return f"{path}.gpus", f"Kubernetes {target.gpus} GPU(s) of an undeclared model", None, 1.0
    raise AssertionError(type(target).__name__)


_MANAGED = frozenset({"bedrock", "azure_openai", "lambda"})
"""Kinds whose model runs in a managed API (a Lambda target calls Bedrock)."""


def fit_of(name: str, target: TargetBase) -> FitDecision:
    """The model-fit decision for one target."""
    kind = str(target.__dict__["kind"])  # every concrete target kind declares it
    if kind in _MANAGED:
        return FitDecision(name, kind, "managed", f"targets.{name}.model", "managed API")
    key, runs_on, total, usable = _memory(name, target)
    serving = _serving(target)
    facts = checkpoint_of(target.model, target.checkpoint)
    params = (
        (serving.params_b if serving else None)
        or facts.params_b
        or params_from_name(target.model.rsplit("/versions/", 1)[0])
    )
    if params is None:
        key = f"targets.{name}.serving.params_b"
        detail = "parameter count unknown: set serving.params_b"
        return FitDecision(name, kind, "unknown", key, runs_on, detail=detail)
    served = serving.quantization if serving is not None else "none"
    quant: str = served if served != "none" else (facts.quantization or "none")
    weights = params * 1e9 * BYTES_PER_PARAM.get(quant, 2.0) / GIB
    context = (serving.context_length if serving else None) or DEFAULT_CONTEXT
    kv_kib = facts.kv_kib_per_token or 16 * params
    kv = context * kv_kib / 2**20
    need = weights + kv + 1.0 + 0.1 * weights
    detail = (
        f"{params:g}B params {quant}: weights {weights:.1f} GiB + KV {kv:.1f} GiB "
        f"({context} tokens) + runtime {1.0 + 0.1 * weights:.1f} GiB"
    )
    if total is None:
        return FitDecision(name, kind, "unknown", key, runs_on, round(need, 1), None, detail)
    have = total * usable
    verdict: Verdict = "fits" if need <= have else "refused"
    return FitDecision(name, kind, verdict, key, runs_on, round(need, 1), round(have, 1), detail)


def _quantization_issues(name: str, target: TargetBase) -> Iterator[Issue]:
    serving = _serving(target)
    if serving is None or serving.quantization == "none" or serving.engine not in QUANTIZE_ON_LOAD:
        return
    wanted = serving.quantization
    if wanted in QUANTIZE_ON_LOAD[serving.engine]:
        return
    stored = checkpoint_of(target.model, target.checkpoint).quantization
    if stored == wanted:
        return
    found = "its quantization is unknown" if stored is None else f"it is stored as {stored!r}"
    yield Issue(
        f"targets.{name}.serving.quantization",
        f"{serving.engine} loads {wanted!r} only from a checkpoint stored that way, and "
        f"{target.model!r} is not ({found}; it would exit at start): use a {wanted} "
        f"checkpoint (e.g. hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4), drop the "
        f"quantization, or declare checkpoint.quantization: {wanted} for an unlisted repo; "
        f"on-load quantizations: {', '.join(sorted(QUANTIZE_ON_LOAD[serving.engine]))}",
        wanted,
    )


def _gated_issues(name: str, target: TargetBase) -> Iterator[Issue]:
    if not checkpoint_of(target.model, target.checkpoint).gated:
        return
    path, gated = f"targets.{name}", f"{target.model!r} is a gated Hugging Face repo"
    no_wiring = f"{gated} and a {getattr(target, 'kind', '')} target has no token wiring"
    if isinstance(target, GpuFleetTarget):
        if target.hf_token_secret is None:
            yield Issue(
                f"{path}.hf_token_secret",
                f"{gated}: name the Secrets Manager secret holding a Hugging Face token",
            )
    elif isinstance(target, KubernetesTarget):
        if target.model_secret is None:
            yield Issue(
                f"{path}.model_secret",
                f"{gated}: name the Secret whose HF_TOKEN key holds a Hugging Face token",
            )
    elif isinstance(target, SageMakerTarget | SageMakerServerlessTarget):
        if target.model_data is None:
            yield Issue(
                f"{path}.model_data",
                f"{no_wiring}: stage the weights in S3 (model_data: s3://...) or use an "
                "ungated checkpoint",
            )
    elif isinstance(target, CloudRunTarget):
        if target.hf_token_secret is None:
            yield Issue(
                f"{path}.hf_token_secret",
                f"{gated}: name the Secret Manager secret holding a Hugging Face token",
            )
    elif isinstance(target, ContainerAppTarget) and target.hf_token_secret is None:
        yield Issue(
            f"{path}.hf_token_secret",
            f"{gated}: name the Key Vault secret holding a Hugging Face token ({{vault_id, name}})",
        )


def fit_issues(spec: StackSpec) -> Iterator[Issue]:
    """Every target that cannot load its model: too little memory, a quantization flag the
    checkpoint does not match, a gated repo without a token."""
    for name, target in spec.targets.items():
        decision = fit_of(name, target)
        if decision.verdict == "refused":
            yield Issue(
                decision.key,
                f"{target.model!r} does not fit: needs ~{decision.need_gib:g} GiB, "
                f"{decision.runs_on} gives {decision.have_gib:g} GiB usable "
                f"({decision.detail}); pick a larger type or a smaller/quantized model",
            )
        yield from _quantization_issues(name, target)
        yield from _gated_issues(name, target)


def fit_table(spec: StackSpec) -> list[FitDecision]:
    """The decision for every target of ``spec``, in spec order."""
    return [fit_of(name, target) for name, target in spec.targets.items()]
