"""GCP preflight: GPU offering and quota for Vertex AI and Cloud Run, against a loopback
Google Cloud that answers and refuses like Cloud Quotas and Compute."""

from __future__ import annotations

import os
from typing import Any

import pytest

from inferplane.preflight.checks import gcp_gpu
from inferplane.preflight.gcp import GcpApi, LazyRestGcpApi, RestGcpApi
from inferplane.spec import load_stack, parse_spec
from tests.conftest import ROOT, stack_spec_data
from tests.preflight.conftest import FakeCapacity, outcomes, shipped_statuses
from tests.preflight.test_local_endpoint import run_cli
from tests.support.fake_gcp import PROJECT, TOKEN, fake_gcp
from tests.support.fake_hub import fake_hub

REGION = "europe-west4"


def gcp_spec(targets: dict[str, Any]) -> Any:
    """The shipped GCP stack with only ``targets`` (its router, keys and residency)."""
    data = stack_spec_data("prod-europe-west4")
    data["targets"] = targets
    data["routes"] = [{"name": "default", "targets": list(targets)}]
    data.pop("forecast", None)
    return parse_spec(data, "test", {"gcp": REGION})


def _run(spec: Any, api: GcpApi, capacity: FakeCapacity) -> list[tuple[str, str]]:
    return outcomes(gcp_gpu, spec, capacity, {"gcp": REGION}, gcp=api)


def _vertex(region: str = REGION, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "vertex",
        "region": region,
        "model": "publishers/google/models/gemma3@gemma-3-1b-it",
        "accept_eula": True,
        **extra,
    }


def _run_gpu(max_: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "cloud_run",
        "region": REGION,
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "image": "vllm/vllm-openai:v0.11.0",
        "gpu": {"type": "nvidia-l4"},
        "cpu": 8,
        "memory_gib": 32,
        "scaling": {"min": 0, "max": max_},
        **extra,
    }


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            _vertex(machine_type="g2-standard-24", scaling={"min": 1, "max": 4}),
            (
                "pass",
                "nvidia-l4 in europe-west4: 8 GPUs needed at scaling.max, quota 8 "
                "(aiplatform.googleapis.com/custom_model_serving_nvidia_l4_gpus)",
            ),
        ),
        (
            _vertex(machine_type="g2-standard-24", scaling={"min": 1, "max": 5}),
            ("fail", "10 GPUs needed at scaling.max, quota 8"),
        ),
        (
            # Spot replicas draw on the preemptible quota (2 here), not the on-demand one.
            _vertex(machine_type="g2-standard-12", spot=True, scaling={"min": 1, "max": 3}),
            (
                "fail",
                "3 GPUs needed at scaling.max, quota 2 "
                "(aiplatform.googleapis.com/custom_model_serving_preemptible_nvidia_l4_gpus)",
            ),
        ),
        (
            # N1 + T4: the quota metric spells the GPU without "tesla".
            _vertex(
                machine_type="n1-standard-8",
                accelerator={"type": "NVIDIA_TESLA_T4", "count": 2},
                scaling={"min": 1, "max": 2},
            ),
            ("pass", "nvidia-tesla-t4 in europe-west4: 4 GPUs needed at scaling.max, quota 4"),
        ),
        (
            _vertex(machine_type="a3-highgpu-1g"),
            ("fail", "nvidia-h100-80gb is offered in no zone of europe-west4"),
        ),
        (
            _vertex(region="us-central1", machine_type="a3-highgpu-1g"),
            ("could-not-check", "no aiplatform.googleapis.com quota metric matching"),
        ),
        (
            _run_gpu(3),
            (
                "pass",
                "nvidia-l4 in europe-west4: 3 GPUs needed at scaling.max, quota 3 "
                "(run.googleapis.com/nvidia_l4_gpu_allocation)",
            ),
        ),
        (_run_gpu(4), ("fail", "4 GPUs needed at scaling.max, quota 3")),
    ],
)
def test_gpu_offering_and_quota(
    capacity: FakeCapacity, target: dict[str, Any], expected: tuple[str, str]
) -> None:
    spec = gcp_spec({"gpu-target": target})
    with fake_gcp() as (url, state):
        ((status, reason),) = _run(spec, RestGcpApi(PROJECT, TOKEN, url), capacity)
    assert status == expected[0], reason
    assert expected[1] in reason, reason
    if "quota" in expected[1]:
        # Both pages of the quota list were read (Cloud Quotas' pageToken paging).
        assert sum("pageToken=p2" in seen for seen in state["seen"]) == 1


def test_targets_without_a_gpu_are_not_gcp_gpu_subjects(capacity: FakeCapacity) -> None:
    cpu_run = _run_gpu(1)
    del cpu_run["gpu"]
    cpu_run.update(cpu=2, memory_gib=4, model="Qwen/Qwen2.5-0.5B-Instruct")
    spec = gcp_spec({"cpu": cpu_run, "cpu-vertex": _vertex(machine_type="n2-standard-8")})
    assert _run(spec, LazyRestGcpApi(None, "http://127.0.0.1:9"), capacity) == []


@pytest.mark.parametrize(
    ("api", "fragment"),
    [
        (
            lambda url: RestGcpApi(PROJECT, "wrong-token", url),
            "access denied: needs cloudquotas.quotas.get",
        ),
        (lambda url: RestGcpApi("someone-else", TOKEN, url), "HTTP 404 NOT_FOUND"),
        (lambda url: LazyRestGcpApi(None, url), "no Google Cloud project"),
        (lambda url: RestGcpApi(PROJECT, TOKEN, "http://127.0.0.1:9"), "could not be reached"),
    ],
)
def test_google_errors_are_could_not_check_lines(
    capacity: FakeCapacity, monkeypatch: pytest.MonkeyPatch, api: Any, fragment: str
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    spec = gcp_spec({"run": _run_gpu(1)})
    with fake_gcp() as (url, _):
        ((status, reason),) = _run(spec, api(url), capacity)
    assert status == "could-not-check"
    assert fragment in reason, reason


def test_a_throttling_google_says_retry(capacity: FakeCapacity) -> None:
    spec = gcp_spec({"run": _run_gpu(1)})
    with fake_gcp() as (url, state):
        state["fail"] = (
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Read requests'",
        )
        ((status, reason),) = _run(spec, RestGcpApi(PROJECT, TOKEN, url), capacity)
    assert status == "could-not-check"
    assert "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded" in reason
    assert "retry later" in reason


def test_the_shipped_gcp_stack_through_the_runner(
    capacity: FakeCapacity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFERPLANE_GCP_TOKEN", TOKEN)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with fake_gcp() as (url, _):
        project = load_stack(ROOT, "prod-europe-west4").config["gcp:project"]
        api = LazyRestGcpApi(None, url).with_default_project(project)
        statuses = shipped_statuses("prod-europe-west4", capacity, gcp=api)
    # g2-standard-24 carries 2 L4s: 2 x max 3 = 6 of 8; Cloud Run's max 4 > its quota of 3.
    assert statuses[("gcp-gpu", "gemma-vertex")] == "pass"
    assert statuses[("gcp-gpu", "llama-run")] == "fail"
    assert ("outside-aws", "gemma-vertex") not in statuses
    # The router (Cloud Run, no GPU) has no GCP check: named, not passed.
    assert statuses[("outside-aws", "router")] == "could-not-check"


def test_preflight_cli_against_a_local_google(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real CLI in a separate process: the project comes from the stack's
    gcp:project, the token from INFERPLANE_GCP_TOKEN; exit 1 (a quota is short) with a
    table, never a traceback."""
    monkeypatch.setenv("INFERPLANE_GCP_TOKEN", TOKEN)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with fake_gcp() as (url, _), fake_hub() as (hub, _):
        result = run_cli(
            [
                "preflight",
                "--stack",
                "prod-europe-west4",
                "--gcp-endpoint",
                url,
                "--hub-endpoint",
                hub,
            ]
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "gcp-gpu" in output
    assert "quota 3" in output
    assert os.environ["INFERPLANE_GCP_TOKEN"] == TOKEN
