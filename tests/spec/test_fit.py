"""Model fit, checkpoint facts and Bedrock PT variants as spec rules (issue 13): each
shipped stack's old target is rebuilt from the real stack file and refused with numbers."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.spec import load_stack, parse_spec
from inferplane.spec.fit import fit_of, fit_table
from inferplane.spec.fitdoc import DOC, render
from inferplane.spec.load import list_stacks
from tests.conftest import ROOT, stack_spec_data

REGIONS = {"aws": "us-east-1"}


def issues(spec: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", REGIONS)
    return {issue.path: str(issue) for issue in caught.value.issues}


def test_mistral_7b_on_sagemaker_serverless_is_refused_with_the_numbers() -> None:
    # The shipped prod-eu-central-1 target before issue 13.
    spec = stack_spec_data("prod-eu-central-1")
    spec["targets"]["mistral-serverless"]["model"] = "mistralai/Mistral-7B-Instruct-v0.3"
    found = issues(spec)
    assert set(found) == {
        "targets.mistral-serverless.memory_mb",
        "targets.mistral-serverless.model_data",  # gated, and serverless has no token wiring
    }
    message = found["targets.mistral-serverless.memory_mb"]
    assert "needs ~16.4 GiB" in message
    assert "serverless CPU 6144 MB gives 6 GiB usable" in message
    assert "weights 13.5 GiB" in message


def test_awq_flag_on_a_bf16_checkpoint_is_refused() -> None:
    # The shipped prod-us-east-1 GPU fleet before issue 13.
    spec = stack_spec_data("prod-us-east-1")
    spec["targets"]["llama-fleet"]["model"] = "meta-llama/Llama-3.1-8B-Instruct"
    found = issues(spec)
    assert set(found) == {
        "targets.llama-fleet.serving.quantization",
        "targets.llama-fleet.hf_token_secret",
    }
    assert "stored as 'none'" in found["targets.llama-fleet.serving.quantization"]


def test_on_load_quantization_and_a_token_make_the_gated_bf16_repo_valid() -> None:
    spec = stack_spec_data("prod-us-east-1")
    fleet = spec["targets"]["llama-fleet"]
    fleet["model"] = "meta-llama/Llama-3.1-8B-Instruct"
    fleet["serving"]["quantization"] = "fp8"  # vLLM quantizes bf16 weights to fp8 on load
    fleet["hf_token_secret"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-AbCdEf"
    parse_spec(spec, "test", REGIONS)


def test_unlisted_repo_needs_its_checkpoint_declared_for_awq() -> None:
    spec = stack_spec_data("prod-us-east-1")
    fleet = spec["targets"]["llama-fleet"]
    fleet["model"] = "acme/Llama-3.1-8B-Instruct-awq"
    assert set(issues(spec)) == {"targets.llama-fleet.serving.quantization"}
    fleet["checkpoint"] = {"quantization": "awq", "gated": False, "revision": "v1"}
    parse_spec(spec, "test", REGIONS)


def test_gated_repo_on_cloud_run_needs_a_token_secret() -> None:
    spec = stack_spec_data("prod-europe-west4")
    spec["targets"]["llama-run"]["model"] = "meta-llama/Llama-3.1-8B-Instruct"
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", {"gcp": "europe-west4"})
    assert [i.path for i in caught.value.issues] == ["targets.llama-run.hf_token_secret"]
    spec["targets"]["llama-run"]["hf_token_secret"] = "projects/ml-prod-eu/secrets/hf-token"
    parse_spec(spec, "test", {"gcp": "europe-west4"})


def test_gated_repo_on_container_apps_needs_a_key_vault_secret() -> None:
    spec = stack_spec_data("prod-westeurope")
    (name,) = [n for n, t in spec["targets"].items() if t["kind"] == "container_app"]
    app = spec["targets"][name]
    app["model"] = "meta-llama/Llama-3.2-1B-Instruct"
    app["checkpoint"] = {"gated": True}
    regions = {"azure": "westeurope"}
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", regions)
    assert [i.path for i in caught.value.issues] == [f"targets.{name}.hf_token_secret"]
    vault = (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml"
        "/providers/Microsoft.KeyVault/vaults/kv-ml-prod"
    )
    app["hf_token_secret"] = {"vault_id": vault, "name": "hf-token"}
    parse_spec(spec, "test", regions)


@pytest.mark.parametrize(
    ("kind_stack", "target_kind", "value", "key"),
    [
        ("prod-europe-west4", "cloud_run", "hf token", "hf_token_secret"),
        ("prod-europe-west4", "cloud_run", "projects/p/secrets/x;rm", "hf_token_secret"),
        ("prod-westeurope", "container_app", {"vault_id": "kv", "name": "t"}, "vault_id"),
        (
            "prod-westeurope",
            "container_app",
            {
                "vault_id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"
                "/ml/providers/Microsoft.KeyVault/vaults/kv",
                "name": "t $(id)",
            },
            "name",
        ),
    ],
)
def test_token_secret_references_follow_their_grammar(
    kind_stack: str, target_kind: str, value: object, key: str
) -> None:
    spec = stack_spec_data(kind_stack)
    (name,) = [n for n, t in spec["targets"].items() if t["kind"] == target_kind]
    spec["targets"][name]["hf_token_secret"] = value
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", {"gcp": "europe-west4", "azure": "westeurope"})
    assert any(i.path.startswith(f"targets.{name}.hf_token_secret") for i in caught.value.issues)
    assert any(key in i.path or key in str(i) for i in caught.value.issues)


def test_a_70b_model_does_not_fit_one_a10g() -> None:
    spec = stack_spec_data("prod-us-east-1")
    fleet = spec["targets"]["llama-fleet"]
    fleet["model"] = "acme/big-70b-instruct"
    fleet["serving"]["quantization"] = "fp8"
    found = issues(spec)
    assert set(found) == {"targets.llama-fleet.instance_type"}
    assert (
        "g5.2xlarge: 1x A10G 24 GiB gives 21.6 GiB usable"
        in found["targets.llama-fleet.instance_type"]
    )
    fleet["instance_type"] = "p4d.24xlarge"  # 8x A100 40 GiB
    fleet["spot"]["instance_types"] = []  # the stack's g6.2xlarge spot type has 1 GPU
    assert fit_of("llama-fleet", parse_spec(spec, "t", REGIONS).targets["llama-fleet"]).verdict == (
        "fits"
    )


def test_provisioned_throughput_needs_a_pt_variant_in_the_region() -> None:
    spec = stack_spec_data("prod-us-east-1")
    spec["targets"]["claude-haiku-pt"]["model"] = "amazon.nova-2-pro-v1:0"
    found = issues(spec)
    assert set(found) == {"targets.claude-haiku-pt.model"}
    assert (
        "Provisioned Throughput is sold for this model not at all"
        in found["targets.claude-haiku-pt.model"]
    )


@pytest.mark.parametrize("stack", list_stacks(ROOT))
def test_every_shipped_target_loads(stack: str) -> None:
    decisions = fit_table(load_stack(ROOT, stack).spec)
    assert {d.verdict for d in decisions} <= {"fits", "managed", "unknown"}


def test_shipped_fit_decisions() -> None:
    spec = load_stack(ROOT, "prod-eu-central-1").spec
    decision = fit_of("mistral-serverless", spec.targets["mistral-serverless"])
    assert (decision.verdict, decision.need_gib, decision.have_gib) == ("fits", 4.3, 6.0)


def test_model_fit_doc_matches_the_stacks() -> None:
    assert (ROOT / DOC).read_text() == render(ROOT), (
        "docs/model-fit.md is stale: run python -m inferplane.spec.fitdoc"
    )
