"""Issue 18, kind 1: mistakes that crashed or exited with the wrong code. Unquoted YAML
dates (the loader keeps them as text; date fields parse ISO text), repeated mapping keys
(refused with both line numbers instead of the last one winning), and a Bedrock model given
as an ARN or profile ID (a spec error at ``targets.<name>.model``, exit 2, instead of a
failure inside the component, exit 1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.cost.prices import PriceTable
from inferplane.errors import ConfigFileError, SpecError
from inferplane.plan.runner import run_program
from inferplane.spec import load_stack, parse_spec
from inferplane.spec.targets.aws import BedrockTarget
from tests.conftest import stack_spec_data
from tests.support.cli import run_cli
from tests.support.stackfiles import insert_after, stack_project, stack_text
from tests.support.targets import target_as

FLEET = """\
      llama-fleet:
        kind: gpu_fleet
        region: us-east-1
        model: Qwen/Qwen2.5-7B-Instruct
        instance_type: g5.2xlarge
        serving: {engine: vllm}
        capacity: {mode: reserved, units: 1, end_date: 2030-01-31, approval: CHG-1}
"""
TAGS = "    tags: {reviewed: 2030-06-01, rotated: 2030-01-31T10:00:00Z}\n"
CONFIG_DATE = "  inferplane:reviewedOn: 2026-01-01\n"


def _unquote_model_version(text: str) -> str:
    return text.replace('model_version: "2024-07-18"', "model_version: 2024-07-18")


# (case, stack, edit, check on the loaded stack)
DATE_CASES: list[tuple[str, str, Callable[[str], str], Callable[[Any], object]]] = [
    (
        "reservation end_date parses as a date",
        "dev",
        insert_after("    targets:", FLEET),
        lambda s: s.spec.targets["llama-fleet"].capacity.end_date == dt.date(2030, 1, 31),
    ),
    (
        "date in a tag stays text",
        "dev",
        insert_after("    cost_center: cc-4711", TAGS),
        lambda s: s.spec.tags["reviewed"] == "2030-06-01",
    ),
    (
        "timestamp in a tag stays the text written",
        "dev",
        insert_after("    cost_center: cc-4711", TAGS),
        lambda s: s.spec.tags["rotated"] == "2030-01-31T10:00:00Z",
    ),
    (
        "Azure OpenAI model_version written as a date",
        "prod-westeurope",
        _unquote_model_version,
        lambda s: s.spec.targets["gpt-4o-mini"].model_version == "2024-07-18",
    ),
    (
        "date in a config key outside the spec",
        "dev",
        insert_after("  aws:region: us-east-1", CONFIG_DATE),
        lambda s: s.spec and s.config["inferplane:reviewedOn"] == "2026-01-01",
    ),
]


@pytest.mark.parametrize(
    ("stack", "edit", "holds"), [c[1:] for c in DATE_CASES], ids=[c[0] for c in DATE_CASES]
)
def test_unquoted_dates_load_and_serialize(
    tmp_path: Path, stack: str, edit: Callable[[str], str], holds: Callable[[Any], object]
) -> None:
    loaded = load_stack(stack_project(tmp_path, stack, edit), stack)
    assert holds(loaded)
    json.dumps(loaded.config)  # what the plan runner hands the program: no date objects


def test_stack_with_unquoted_dates_plans(tmp_path: Path) -> None:
    """The crash the issue reports: planning died with 'Object of type date is not JSON
    serializable'. Now the program runs and the reservation carries the date."""
    edit = insert_after("    targets:", FLEET)
    project = stack_project(
        tmp_path, "dev", lambda t: insert_after("  aws:region: us-east-1", CONFIG_DATE)(edit(t))
    )
    graph = run_program(project, load_stack(project, "dev"))
    [reservation] = graph.by_type("aws:ec2/capacityReservation:CapacityReservation")
    assert reservation.inputs["tags"]["capacity-end-date"] == "2030-01-31"
    assert reservation.inputs["endDate"] == "2030-02-01T00:00:00Z"  # the end of 2030-01-31


def _repeat_target(text: str) -> str:
    block = "      claude-haiku:\n        kind: bedrock\n        region: us-west-2\n"
    block += "        model: anthropic.claude-3-haiku-20240307-v1:0\n"
    return insert_after("        latency_ms_p50: 40", block)(text)


def _lines(text: str, prefix: str) -> list[int]:
    """Numbers of the lines that start (after indentation) with ``prefix``."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(prefix)]


# (case, edit, key path of the repeat, how the repeated lines start; "" = not checked)
DUPLICATE_CASES: list[tuple[str, Callable[[str], str], str, str]] = [
    ("two targets with the same name", _repeat_target, "targets.claude-haiku", "claude-haiku:"),
    (
        "provider region set twice",
        insert_after("  aws:region: us-east-1", "  aws:region: us-west-2\n"),
        "aws:region",
        "aws:region:",
    ),
    (
        "a target's region set twice",
        insert_after("        kind: bedrock", "        region: us-west-2\n"),
        "targets.claude-haiku.region",
        "region: ",
    ),
    (
        "a key repeated in a flow mapping",
        lambda t: t.replace("{name: fast,", "{name: fast, name: quick,"),
        "routes[1].name",
        "- {name: fast, name: quick",
    ),
    (
        "a data class defined twice",
        insert_after("      restricted: {placement: edge}", "      public: {placement: zone}\n"),
        "data_classes.public",
        "public: {placement",
    ),
    ("the config block twice", lambda t: t + "config:\n  aws:region: us-west-2\n", "config", ""),
]


@pytest.mark.parametrize(
    ("edit", "path", "needle"),
    [c[1:] for c in DUPLICATE_CASES],
    ids=[c[0] for c in DUPLICATE_CASES],
)
def test_repeated_keys_are_refused_with_their_lines(
    tmp_path: Path, edit: Callable[[str], str], path: str, needle: str
) -> None:
    project = stack_project(tmp_path, "dev", edit)
    with pytest.raises(SpecError) as caught:
        load_stack(project, "dev")
    [issue] = caught.value.issues
    assert issue.path == path
    assert "duplicate key" in issue.message
    if needle:
        lines = _lines(edit(stack_text("dev")), needle)
        first, again = (lines * 2)[:2] if len(lines) == 1 else lines[:2]
        assert f"line {first} and again at line {again}" in issue.message


def test_repeated_key_in_the_price_table_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text("as_of: 2026-01-01\ncurrency: USD\ncurrency: EUR\nsources: {}\nprices: []\n")
    with pytest.raises(ConfigFileError, match=r"currency: duplicate key: defined at line 2"):
        PriceTable.load(table)


def test_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    """Control: ``<<: *anchor`` then an explicit key is YAML's override, not a repeat."""
    edit = insert_after(
        "      claude-haiku:",
        "        <<: {kind: bedrock, region: us-west-2}\n",
    )
    project = stack_project(
        tmp_path, "dev", lambda t: edit(t).replace("        kind: bedrock\n", "", 1)
    )
    haiku = target_as(load_stack(project, "dev").spec, "claude-haiku", BedrockTarget)
    assert haiku.region == "us-east-1"


SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"

# (case, stack, target, model value, a word the message must contain)
MODEL_CASES: list[tuple[str, str, str, str, str]] = [
    (
        "foundation-model ARN",
        "prod-us-east-1",
        "claude-sonnet",
        f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}",
        f"here: model: {SONNET}",
    ),
    (
        "inference-profile ARN",
        "prod-us-east-1",
        "claude-sonnet",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET}",
        "inference: geo",
    ),
    (
        "provisioned-model ARN",
        "prod-us-east-1",
        "claude-haiku-pt",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456",
        "is an ARN",
    ),
    (
        "application inference profile ARN",
        "prod-us-east-1",
        "claude-sonnet",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
        "is an ARN",
    ),
    (
        "geo profile ID as the model",
        "prod-eu-central-1",
        "claude-haiku-eu",
        f"eu.{HAIKU}",
        f"set model: {HAIKU} and inference: geo",
    ),
    (
        "global profile ID as the model",
        "prod-us-east-1",
        "claude-sonnet",
        f"global.{SONNET}",
        "inference: global",
    ),
    (
        "Lambda target's model as an ARN",
        "prod-us-east-1",
        "summarize-fn",
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        "is an ARN",
    ),
    (
        "Hugging Face ID on a Bedrock target",
        "prod-us-east-1",
        "claude-sonnet",
        "meta-llama/Llama-3.1-8B-Instruct",
        "not a Bedrock foundation model ID",
    ),
]


@pytest.mark.parametrize(
    ("stack", "target", "model", "word"),
    [c[1:] for c in MODEL_CASES],
    ids=[c[0] for c in MODEL_CASES],
)
def test_bedrock_model_must_be_a_foundation_model_id(
    stack: str, target: str, model: str, word: str
) -> None:
    data = stack_spec_data(stack)
    data["targets"][target]["model"] = model
    region = "eu-central-1" if "eu" in stack else "us-east-1"
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "test", {"aws": region})
    [issue] = [i for i in caught.value.issues if i.path == f"targets.{target}.model"]
    assert word in issue.message


def test_bedrock_arn_is_a_spec_error_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_model = "amazon.nova-lite-v1:0"  # the dev stack's Bedrock model
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{dev_model}"

    def edit(t: str) -> str:
        assert f"model: {dev_model}" in t
        return t.replace(f"model: {dev_model}", f"model: {arn}")

    project = stack_project(tmp_path, "dev", edit)
    code, _, err = run_cli(
        ["plan", "--stack", "dev", "--project", str(project), "--no-tree", "--no-cost"],
        monkeypatch,
        capsys,
    )
    assert code == 2, err
    assert "targets.claude-haiku.model: is an ARN" in " ".join(err.split())
    assert "mock runtime" not in err
