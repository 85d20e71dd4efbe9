"""A starter stack for a decision: the ``inferplane:spec`` block (validated with
``parse_spec``) and the stack file that holds it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from inferplane.errors import InferplaneError
from inferplane.recommend.decide import Decision
from inferplane.recommend.requirements import Architecture, Requirements
from inferplane.spec import SPEC_KEY, StackSpec, parse_spec
from inferplane.spec.regions import geography
from inferplane.yamlload import read_yaml
from policies.config import default_policy
from router.auth import new_key
from router.config import KeyConfig

__all__ = ["INSTANCE_RPS", "starter_config", "starter_spec", "write_stack"]

HAIKU = "amazon.nova-lite-v1:0"  # Active on Bedrock (Claude 3 Haiku: EOL 2026-09-10)
SONNET = "amazon.nova-pro-v1:0"  # Active on Bedrock (Claude 3.5 Sonnet v1: EOL)
OPEN_MODEL = "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"  # AWQ: vLLM --quantization awq
EDGE_MODEL = "llama-3.1-8b-instruct"
HOSTED_MODEL = "Qwen/Qwen2.5-7B-Instruct"  # ungated: SageMaker has no HF token wiring
SERVERLESS_MODEL = "Qwen/Qwen2.5-1.5B-Instruct"
"""Fits SageMaker serverless's 6 GiB of CPU memory (a 7B model does not: docs/model-fit.md)."""
FLEET_IMAGE = (
    "vllm/vllm-openai:v0.11.0"
    "@sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c"
)
"""The engine image a starter GPU fleet runs, pinned by digest (IP-SAF-006) as in the
shipped stacks: a tag alone can be repointed under a running fleet."""
INSTANCE_RPS = 10.0
"""Requests per second one g5.2xlarge (or ml.g5.2xlarge) serves with a 7-8B model
(~200 output tokens each): sizes starter fleets and endpoints; measure and adjust."""


def starter_spec(
    requirements: Requirements, decision: Decision, client_key: KeyConfig | None = None
) -> dict[str, Any]:
    """The ``inferplane:spec`` block for ``decision``, with ``client_key`` as the router's
    one API key (a fresh one, its secret discarded, when None: routers are closed)."""
    r = requirements
    architecture = decision.architecture
    edge = architecture in ("edge", "hybrid")
    targets: dict[str, Any] = {}
    if edge:
        targets["edge-llm"] = {
            "kind": "edge",
            "site": r.site,
            # A cloud router reaches the site over the internet (site key + TLS); the
            # default `lan` only suits a router at the site itself (IP-WIR-001).
            **({"via": "internet"} if architecture != "edge" else {}),
            "profile": "x86-nvidia",
            "model": EDGE_MODEL,
            "serving": {"engine": "llamacpp", "quantization": "q4_k_m", "context_length": 8192},
            "latency_ms_p50": 40,
        }
    if decision.cloud is not None:
        targets.update(_cloud_targets(r, decision.cloud))
    # Internal data stays in the zone whatever the workload: that is the org default the
    # policy pack enforces (IP-RES-007), so a starter stack passes `inferplane check`.
    data_classes: dict[str, Any] = {"public": {"placement": "any"}}
    data_classes["internal"] = {"placement": "zone"}
    if r.data_sensitivity == "confidential" or r.regulated:
        data_classes["confidential"] = {"placement": "zone"}
    if edge:
        data_classes["restricted"] = {"placement": "edge"}
    spec: dict[str, Any] = {
        "environment": "dev",
        "owner": "ml-platform",
        "cost_center": "cc-0000",
        "residency": {
            "zone": geography("aws", r.region),
            "regions": {"aws": [r.region]},
            **({"edge_sites": [r.site]} if edge else {}),
        },
        "data_classes": data_classes,
        "default_data_class": "restricted"
        if architecture == "edge"
        else ("confidential" if "confidential" in data_classes else "internal"),
        "targets": targets,
        "routes": _routes(r, targets),
        "router": {
            **(
                {"platform": "edge", "target": "edge-llm"}
                if architecture == "edge"
                else {"platform": "lambda", "cache": {"exact": True, "semantic": False}}
            ),
            "keys": [(client_key or new_key("app")[1]).model_dump(exclude_defaults=True)],
        },
        "forecast": {
            "steady_rps": r.rps,
            "peak_rps": r.peak_rps if r.peak_rps is not None else r.rps * _peak_factor(r),
            "avg_input_tokens": r.avg_input_tokens,
            "avg_output_tokens": r.avg_output_tokens,
        },
    }
    return spec


def _peak_factor(r: Requirements) -> float:
    return {"steady": 1.5, "variable": 4.0, "unknown": 2.0}[r.volume]


def _cloud_targets(r: Requirements, cloud: Architecture) -> dict[str, Any]:
    region = r.region
    haiku = {"kind": "bedrock", "region": region, "model": HAIKU, "latency_ms_p50": 600}
    if cloud == "managed_api":
        targets: dict[str, Any] = {"claude-haiku": haiku}
        if r.capability == "frontier":
            targets["claude-sonnet"] = {"kind": "bedrock", "region": region, "model": SONNET}
        return targets
    # A starter is a dev stack: its sizes stay inside the org policy's dev scale cap
    # (IP-SAF-005), so the file passes `inferplane check`; prod sizes come with the prod stack.
    cap = default_policy().scale_cap("dev")
    base = min(cap, max(1, math.ceil(r.rps / INSTANCE_RPS)))
    peak = r.peak_rps if r.peak_rps is not None else r.rps * _peak_factor(r)
    top = min(cap, max(base, math.ceil(peak / INSTANCE_RPS)))
    if cloud == "managed_hosting":
        return {
            "custom-sm": {
                "kind": "sagemaker",
                "region": region,
                "model": r.model or HOSTED_MODEL,
                "image": "tgi",
                "instance_type": "ml.g5.2xlarge",
                "scaling": {"min": base, "max": top, "target": 20},
            }
        }
    if cloud == "self_hosted":
        return {
            "llama-fleet": {
                "kind": "gpu_fleet",
                "region": region,
                "model": r.model or OPEN_MODEL,
                "instance_type": "g5.2xlarge",
                "serving": {
                    "engine": "vllm",
                    "image": FLEET_IMAGE,
                    # AWQ only on the AWQ checkpoint: vLLM exits on any other repo.
                    **({"quantization": "awq"} if r.model is None else {}),
                    "context_length": 16384,
                },
                "scaling": {"min": base, "max": top, "target": 60},
                "spot": {"on_demand_base": base, "spot_percentage": 50},
            }
        }
    # serverless: a scale-to-zero endpoint, with a managed API for overflow.
    return {
        "serverless-llm": {
            "kind": "sagemaker_serverless",
            "region": region,
            "model": r.model or SERVERLESS_MODEL,
            "memory_mb": 6144,
            "max_concurrency": 20,
        },
        "claude-haiku": haiku,
    }


def _routes(r: Requirements, targets: dict[str, Any]) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    cloud = [name for name, t in targets.items() if t["kind"] != "edge"]
    if "edge-llm" in targets:
        routes.append(
            {"name": "restricted", "match": {"data_class": "restricted"}, "targets": ["edge-llm"]}
        )
        if cloud and r.latency_budget_ms is not None:
            routes.append(
                {"name": "fast", "match": {"latency_ms_max": 100}, "targets": ["edge-llm", *cloud]}
            )
    if "claude-sonnet" in targets:
        routes.append(
            {
                "name": "complex",
                "match": {"tier": "complex"},
                "targets": ["claude-sonnet", "claude-haiku"],
            }
        )
    default = [n for n in cloud if n != "claude-sonnet"] or ["edge-llm"]
    if "edge-llm" in targets and cloud:
        default.append("edge-llm")
    routes.append({"name": "default", "targets": default})
    return routes


def starter_config(spec: dict[str, Any], region: str) -> dict[str, Any]:
    """The whole stack file: provider region plus the spec block."""
    return {"config": {"aws:region": region, SPEC_KEY: spec}}


def write_stack(
    project: Path, name: str, config: dict[str, Any], header: str, *, force: bool = False
) -> tuple[Path, StackSpec]:
    """Validate ``config`` with ``parse_spec`` and write ``stacks/Pulumi.<name>.yaml``."""
    settings = config["config"]
    spec = parse_spec(settings[SPEC_KEY], f"starter stack {name}", {"aws": settings["aws:region"]})
    path = _stack_dir(project) / f"Pulumi.{name}.yaml"
    if path.exists() and not force:
        raise InferplaneError(f"{path} exists; choose another --write-stack name or pass --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    path.write_text(comment + body, encoding="utf-8")
    return path, spec


def _stack_dir(project: Path) -> Path:
    pulumi_yaml = project / "Pulumi.yaml"
    data = read_yaml(pulumi_yaml) or {}
    return project / str(data.get("stackConfigDir", "."))
