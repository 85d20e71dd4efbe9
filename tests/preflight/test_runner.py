from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inferplane.preflight import Reservation, run_preflight
from inferplane.preflight.checks import outside_aws
from inferplane.spec import load_stack
from tests.preflight.conftest import HAIKU, FakeCapacity, check, spec_with

ROOT = Path(__file__).resolve().parents[2]


def test_targets_outside_aws_could_not_be_checked(capacity: FakeCapacity) -> None:
    spec = spec_with(
        {
            "vertex-llama": {"kind": "vertex", "region": "europe-west4", "model": "llama"},
            "plant": {
                "kind": "edge",
                "site": "plant",
                "profile": "cpu",
                "model": "llama-3.1-8b-instruct",
                "serving": {"engine": "llamacpp", "quantization": "q4_k_m"},
            },
        },
        residency={"zone": "world", "edge_sites": ["plant"]},
        # A Lambda router cannot call a Vertex target (no cross-cloud identity from AWS):
        # the router runs beside it on Cloud Run.
        router={
            "platform": "cloud_run",
            "region": "europe-west4",
            "image": "europe-west4-docker.pkg.dev/p/r/router@sha256:" + "a" * 64,
        },
    )
    results = {r.subject: r for r in check(outside_aws, spec, capacity)}
    # A GPU Vertex target has its own check (gcp-gpu, tests/preflight/test_gcp.py).
    assert "vertex-llama" not in results
    assert results["plant"].reason.startswith("edge site")
    assert (
        results["router"].reason
        == "router:cloud_run on gcp: could not check (no preflight check for it)"
    )


@pytest.mark.usefixtures("aws")
def test_shipped_prod_stack(capacity: FakeCapacity) -> None:
    stack = load_stack(ROOT, "prod-us-east-1")
    capacity.ec2_quotas.update({"L-DB2E81BA": 128, "L-3819A6DF": 64})
    capacity.sagemaker_quotas["ml.g5.2xlarge for endpoint usage"] = 4
    capacity.reservations["cr-0a1b2c3d4e5f60718"] = Reservation(
        "cr-0a1b2c3d4e5f60718", "g5.2xlarge", "us-east-1a", "active", 2, 2
    )
    # The shipped stack's current models (issue 13): Nova Pro (us. profile), Nova Lite (PT).
    for model in ("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0"):
        capacity.models[model] = replace(capacity.models[HAIKU], id=model)
    capacity.profiles = frozenset({"us.amazon.nova-pro-v1:0"})
    report = run_preflight(stack.spec, "prod-us-east-1", {"aws": "us-east-1"}, None, capacity)
    assert [(r.check, r.subject) for r in report.failed] == []
    assert report.unchecked == ()
    checks = {r.check for r in report.results}
    assert checks == {
        "service-offered",
        "ec2-instance-offered",
        "sagemaker-instance-type",
        "quota-headroom",
        "capacity-reservation",
        "bedrock-model",
        "hf-checkpoint",
    }
    # The Hub (loopback, answering like the real one) confirms both downloaded checkpoints.
    assert {r.subject for r in report.of("hf-checkpoint")} == {"mistral-sm", "llama-fleet"}
    assert all(r.elapsed_ms is not None for r in report.results)
    assert report.to_dict()["counts"] == {
        "pass": len(report.results),
        "fail": 0,
        "could-not-check": 0,
    }
