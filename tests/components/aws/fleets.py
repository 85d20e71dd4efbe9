"""The GPU fleets the AWS tests start from (one home: the fleet tests, the capacity and
queue tests, the router-hosting test and the policy tests all derive theirs from these)."""

from __future__ import annotations

from dataclasses import replace

from inferplane.components.aws.gpu_fleet import GpuFleetArgs, ReservationTarget
from inferplane.components.container import ContainerSpec
from inferplane.serving.base import EngineCommand
from tests.components.aws.helpers import LABELS

VLLM = EngineCommand(
    "vllm/vllm-openai:v0.11.0",
    ("--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000", "--max-model-len", "16384"),
    {},
    8000,
    "/health",
)
MINIMAL = GpuFleetArgs(
    region="us-east-1",
    instance_type="g5.2xlarge",
    container=ContainerSpec.of_engine(VLLM),
    model="meta-llama/Llama-3.1-8B-Instruct",
    labels=LABELS,
    name_prefix="p-llama",
)
"""One on-demand instance, every other argument at its default."""
BASE = replace(
    MINIMAL,
    volume_gib=110,
    min_size=2,
    max_size=8,
    desired=2,
    on_demand_base=2,
    spot_percentage=50,
    reservation=ReservationTarget(("cr-0a1b2c3d4e5f60718",)),
)
"""A production fleet: a reserved on-demand base of two, half the rest on spot."""
