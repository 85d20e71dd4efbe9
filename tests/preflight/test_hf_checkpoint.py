"""The checkpoint check against a loopback Hub that answers like the real one."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.preflight.checks import hf_checkpoint
from inferplane.preflight.hub import HttpHubApi, HubError
from tests.preflight.conftest import FakeCapacity, check, fleet, spec_with
from tests.support.fake_hub import fake_hub

TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf"


def _results(capacity: FakeCapacity, **target: Any) -> list[tuple[str, str]]:
    spec = spec_with({"llm": fleet(**target)})
    return [(r.status, r.reason) for r in check(hf_checkpoint, spec, capacity)]


def test_a_checkpoint_that_matches_the_spec_passes(capacity: FakeCapacity) -> None:
    ((status, reason),) = _results(capacity)
    assert status == "pass"
    assert reason == f"Qwen/Qwen2.5-7B-Instruct at {'a' * 12} matches the spec"


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            {"model": "acme/llama-3.1-8b-instruct-typo"},
            "the Hub has no acme/llama-3.1-8b-instruct-typo (or it is private and HF_TOKEN is "
            "not set)",
        ),
        (
            {"checkpoint": {"revision": "v9"}},
            "the Hub has no Qwen/Qwen2.5-7B-Instruct@v9",
        ),
        (
            # The table says ungated; the Hub says gated: the server would get a 401 at start.
            {"model": "meta-llama/Llama-3.1-8B-Instruct", "checkpoint": {"gated": False}},
            "meta-llama/Llama-3.1-8B-Instruct is gated on the Hub but no token reaches the "
            "server (the spec believed gated=False)",
        ),
        (
            # Declared AWQ, stored 16-bit: vLLM --quantization awq exits at start.
            {"checkpoint": {"quantization": "awq", "gated": False}},
            "Qwen/Qwen2.5-7B-Instruct is stored as 'none' on the Hub, the spec believed 'awq'",
        ),
    ],
)
def test_what_the_hub_contradicts_fails_naming_it(
    capacity: FakeCapacity, target: dict[str, Any], reason: str
) -> None:
    if target.get("checkpoint", {}).get("quantization") == "awq":
        target["serving"] = {"engine": "vllm", "quantization": "awq"}
    ((status, got),) = _results(capacity, **target)
    assert status == "fail"
    assert got.startswith(reason), got


def test_a_gated_repo_with_a_token_wired_passes(capacity: FakeCapacity) -> None:
    ((status, _),) = _results(
        capacity, model="meta-llama/Llama-3.1-8B-Instruct", hf_token_secret=TOKEN_ARN
    )
    assert status == "pass"


def test_the_parameter_count_the_fit_used_is_confirmed(capacity: FakeCapacity) -> None:
    repos = {"acme/tiny-7b": {"gated": False, "safetensors": {"total": 13_000_000_000}}}
    with fake_hub(repos) as (url, _):
        spec = spec_with({"llm": fleet(model="acme/tiny-7b")})
        from inferplane.preflight import AwsClients
        from inferplane.preflight.context import PreflightContext
        from inferplane.preflight.context import subjects as all_subjects

        ctx = PreflightContext(spec, AwsClients(), capacity, HttpHubApi(url))
        (subject,) = [s for s in all_subjects(spec, {"aws": "us-east-1"}) if s.name == "llm"]
        (result,) = hf_checkpoint.run(ctx, subject)
    assert result.status == "fail"
    assert "has 13.00B parameters on the Hub; the fit rule used 7B" in result.reason


def test_targets_that_download_nothing_from_the_hub_are_not_checked(
    capacity: FakeCapacity,
) -> None:
    spec = spec_with(
        {
            "sm": {
                "kind": "sagemaker",
                "region": "us-east-1",
                "model": "Qwen/Qwen2.5-7B-Instruct",
                "model_data": "s3://weights/qwen/model.tar.gz",
                "image": "tgi",
                "instance_type": "ml.g5.2xlarge",
            }
        }
    )
    assert check(hf_checkpoint, spec, capacity) == []


def test_private_repos_send_the_token_and_unknown_and_private_look_alike() -> None:
    repos = {"acme/private-7b": {"gated": False, "private": True}}
    with fake_hub(repos, private_token="hf_secret") as (url, _):
        assert HttpHubApi(url, token="").model_info("acme/private-7b", None) is None
        found = HttpHubApi(url, token="hf_secret").model_info("acme/private-7b", None)
        assert found is not None
        assert found.repo == "acme/private-7b"


def test_an_unreachable_hub_is_a_could_not_check(capacity: FakeCapacity) -> None:
    from inferplane.preflight import AwsClients
    from inferplane.preflight.context import PreflightContext, subjects
    from inferplane.preflight.result import timed
    from tests.router.fakes import free_port

    spec = spec_with({"llm": fleet()})
    ctx = PreflightContext(
        spec, AwsClients(), capacity, HttpHubApi(f"http://127.0.0.1:{free_port()}")
    )
    (subject,) = [s for s in subjects(spec, {"aws": "us-east-1"}) if s.name == "llm"]
    (result,) = timed(hf_checkpoint.NAME, "llm", lambda: hf_checkpoint.run(ctx, subject))
    assert result.status == "could-not-check"
    assert "could not be reached" in result.reason


def test_repo_and_revision_are_quoted_into_the_url() -> None:
    api = HttpHubApi("https://hub.example")
    assert api.url("org/name", "refs/pr/1") == (
        "https://hub.example/api/models/org/name/revision/refs%2Fpr%2F1"
    )
    with pytest.raises(HubError, match="allowed schemes are https and http"):
        HttpHubApi("file:///etc")
