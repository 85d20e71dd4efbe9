"""Issue 18, kind 2: mistakes that were accepted silently. A repeated entry in a list; a
plain-text secret in stack config where a ``secure:`` value belongs, or a token pasted
into the spec; a reservation end date already past (judged ``--as-of`` a date); a Bedrock
model/profile combination the vendor does not offer in that geography."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.spec import load_stack, parse_spec
from tests.conftest import stack_spec_data
from tests.support.cli import run_cli
from tests.support.stackfiles import insert_after, stack_project

Spec = dict[str, Any]


def _refused(stack: str, mutate: Callable[[Spec], None], **kwargs: Any) -> SpecError:
    data = stack_spec_data(stack)
    mutate(data)
    regions = {
        "dev": {"aws": "us-east-1"},
        "prod-us-east-1": {"aws": "us-east-1"},
        "prod-eu-central-1": {"aws": "eu-central-1"},
        "prod-europe-west4": {"gcp": "europe-west4"},
        "prod-westeurope": {"azure": "westeurope"},
    }[stack]
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "test", regions, **kwargs)
    return caught.value


def _route0_target_twice(d: Spec) -> None:
    d["routes"][2]["targets"] = ["claude-haiku", "llama-lab", "claude-haiku"]


def _fleet_spot_types(d: Spec) -> None:
    d["targets"]["llama-fleet"]["spot"]["instance_types"] = ["g5.4xlarge", "g5.4xlarge"]


# (case, stack, mutation, key path, the repeated value)
REPEATS: list[tuple[str, str, Callable[[Spec], None], str, str]] = [
    ("a target twice in a route", "dev", _route0_target_twice, "routes[2].targets", "claude-haiku"),
    (
        "an edge site twice",
        "dev",
        lambda d: d["residency"].update(edge_sites=["austin-lab", "austin-lab"]),
        "residency.edge_sites",
        "austin-lab",
    ),
    (
        "a residency region twice",
        "dev",
        lambda d: d["residency"]["regions"].update(aws=["us-east-1", "us-west-2", "us-east-1"]),
        "residency.regions.aws",
        "us-east-1",
    ),
    (
        "a data class twice on a key",
        "dev",
        lambda d: d["router"]["keys"][0].update(data_classes=["internal", "public", "internal"]),
        "router.keys[0].data_classes",
        "internal",
    ),
    (
        "a route twice on a key",
        "dev",
        lambda d: d["router"]["keys"][1].update(routes=["default", "default"]),
        "router.keys[1].routes",
        "default",
    ),
    (
        "a capacity reservation twice",
        "prod-us-east-1",
        lambda d: d["targets"]["llama-fleet"]["capacity"].update(
            reservation_ids=["cr-0a1b2c3d4e5f60718", "cr-0a1b2c3d4e5f60718"]
        ),
        "targets.llama-fleet.capacity.reservation_ids",
        "cr-0a1b2c3d4e5f60718",
    ),
    (
        "a spot instance type twice",
        "prod-us-east-1",
        _fleet_spot_types,
        "targets.llama-fleet.spot.instance_types",
        "g5.4xlarge",
    ),
    (
        "a Cloud Run invoker twice",
        "prod-europe-west4",
        lambda d: d["targets"]["llama-run"].update(
            invokers=2 * d["targets"]["llama-run"]["invokers"]
        ),
        "targets.llama-run.invokers",
        "serviceAccount:eval-jobs",
    ),
    (
        "two API keys with one ID",
        "dev",
        lambda d: d["router"]["keys"][1].update(id="app-backend"),
        "router.keys[1].id",
        "app-backend",
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "path", "value"),
    [c[1:] for c in REPEATS],
    ids=[c[0] for c in REPEATS],
)
def test_repeated_list_entries_are_refused(
    stack: str, mutate: Callable[[Spec], None], path: str, value: str
) -> None:
    error = _refused(stack, mutate)
    [issue] = [i for i in error.issues if i.path == path]
    assert value in str(issue)
    assert "twice" in issue.message or "already used" in issue.message


TOKEN = "hf_" + "Q7x2Lm9Pz4Kd8Rt1Vb6Nw3Jc5Hy0Ga2Se"  # fake, Hugging Face's shape
AWS_KEY_ID = "AKIA" + "Z3EXAMPLE7Q2WXYR"  # fake, AWS's shape

# (case, config line(s) added to the dev stack, the key path the error must name, the
# secret part of the value, which the error must not print)
PLAIN_SECRETS: list[tuple[str, str, str, str]] = [
    (
        "AWS secret key by name",
        "  aws:secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE\n",
        "aws:secretKey",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE",
    ),
    ("AWS access key by shape", f"  aws:accessKey: {AWS_KEY_ID}\n", "aws:accessKey", AWS_KEY_ID),
    (
        "Azure client secret by name",
        "  azure-native:clientSecret: 8Q~abcDEF.ghiJKL\n",
        "azure-native:clientSecret",
        "8Q~abcDEF.ghiJKL",
    ),
    ("token under an innocent name", f"  inferplane:note: {TOKEN}\n", "inferplane:note", TOKEN),
    (
        "password by name",
        "  inferplane:dbPassword: hunter2hunter2\n",
        "inferplane:dbPassword",
        "hunter2hunter2",
    ),
    (
        "connection string with a password",
        "  inferplane:cache: rediss://default:s3cretpw@cache.example.com:6380\n",
        "inferplane:cache",
        "s3cretpw",
    ),
    (
        "Azure storage connection string",
        "  inferplane:storage: DefaultEndpointsProtocol=https;AccountName=x;AccountKey=bXlrZXk=\n",
        "inferplane:storage",
        "bXlrZXk=",
    ),
    (
        "service account key JSON",
        '  gcp:credentials: \'{"type": "service_account", "private_key": "x"}\'\n',
        "gcp:credentials",
        "service_account",
    ),
    (
        "password nested in an object value",
        "  inferplane:db:\n    host: db.internal\n    password: hunter2hunter2\n",
        "inferplane:db.password",
        "hunter2hunter2",
    ),
]


@pytest.mark.parametrize(
    ("lines", "path", "secret"),
    [c[1:] for c in PLAIN_SECRETS],
    ids=[c[0] for c in PLAIN_SECRETS],
)
def test_plain_text_secret_in_stack_config_is_refused(
    tmp_path: Path, lines: str, path: str, secret: str
) -> None:
    project = stack_project(tmp_path, "dev", insert_after("  aws:region: us-east-1", lines))
    with pytest.raises(SpecError) as caught:
        load_stack(project, "dev").spec  # noqa: B018
    [issue] = [i for i in caught.value.issues if i.path == path]
    assert "pulumi config set --secret" in issue.message
    assert path in issue.message
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "lines",
    [
        "  inferplane:hfToken:\n    secure: v1:AAABBBCCCdddEEE=\n",
        "  inferplane:hfTokenSecret: "
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-AbCd\n",
        "  gcp:credentials: /etc/inferplane/gcp-key.json\n",
        "  aws:skipCredentialsValidation: true\n",
    ],
    ids=["secure value", "secret ARN", "path to a key file", "a flag"],
)
def test_secure_values_and_references_are_accepted(tmp_path: Path, lines: str) -> None:
    """Controls: encrypted values and references to secrets are what belongs there."""
    project = stack_project(tmp_path, "dev", insert_after("  aws:region: us-east-1", lines))
    load_stack(project, "dev").spec  # noqa: B018


# (case, stack, mutation, key path): a token pasted into the spec itself
PASTED: list[tuple[str, str, Callable[[Spec], None], str]] = [
    (
        "a Redis URL with its password as the secret's name",
        "prod-europe-west4",
        lambda d: d["router"].update(
            redis={"store": "env", "name": "rediss://:s3cretpw@10.0.0.3:6378"}
        ),
        "router.redis.name",
    ),
    (
        "a token as a model ID",
        "prod-us-east-1",
        lambda d: d["targets"]["llama-fleet"].update(model=TOKEN),
        "targets.llama-fleet.model",
    ),
    (
        "an access key in a tag",
        "dev",
        lambda d: d.update(tags={"deployer": AWS_KEY_ID}),
        "tags.deployer",
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "path"), [c[1:] for c in PASTED], ids=[c[0] for c in PASTED]
)
def test_token_pasted_into_the_spec_is_refused(
    stack: str, mutate: Callable[[Spec], None], path: str
) -> None:
    error = _refused(stack, mutate)
    [issue] = [i for i in error.issues if i.path == path]
    assert "references to secrets" in issue.message
    for secret in ("s3cretpw", TOKEN, AWS_KEY_ID):
        assert secret not in str(error)


def _reserve(end: str) -> Callable[[Spec], None]:
    def mutate(d: Spec) -> None:
        d["targets"]["llama-fleet"] = {
            "kind": "gpu_fleet",
            "region": "us-east-1",
            "model": "Qwen/Qwen2.5-7B-Instruct",
            "instance_type": "g5.2xlarge",
            "serving": {"engine": "vllm"},
            "capacity": {"mode": "reserved", "units": 1, "end_date": end, "approval": "CHG-1"},
        }

    return mutate


# (case, end date, as of)
PAST_END: list[tuple[str, str, dt.date | None]] = [
    ("ended years ago, judged today", "2024-01-31", None),
    ("ended yesterday", "2026-03-09", dt.date(2026, 3, 10)),
    ("ended long before the pinned day", "2020-02-29", dt.date(2021, 1, 1)),
]


@pytest.mark.parametrize(("end", "as_of"), [c[1:] for c in PAST_END], ids=[c[0] for c in PAST_END])
def test_reservation_ending_in_the_past_is_refused(end: str, as_of: dt.date | None) -> None:
    error = _refused("dev", _reserve(end), as_of=as_of)
    [issue] = [i for i in error.issues if i.path == "targets.llama-fleet.capacity.end_date"]
    assert "already past" in issue.message
    assert issue.value == end


def test_reservation_ending_on_the_day_is_accepted() -> None:
    """Control: a reservation may end on the day it is judged (at the end of that day)."""
    data = stack_spec_data("dev")
    _reserve("2026-03-10")(data)
    parse_spec(data, "test", {"aws": "us-east-1"}, as_of=dt.date(2026, 3, 10))


def test_plan_as_of_moves_the_judgement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--as-of`` reaches both the CLI's parse and the program's own parse under the mock
    runtime: as of 2024-01-15 a reservation ending 2024-01-31 plans; as of today it is past."""
    fleet = (
        "      llama-fleet:\n        kind: gpu_fleet\n        region: us-east-1\n"
        "        model: Qwen/Qwen2.5-7B-Instruct\n        instance_type: g5.2xlarge\n"
        "        serving: {engine: vllm}\n"
        "        capacity: {mode: reserved, units: 1, end_date: 2024-01-31, approval: CHG-1}\n"
    )
    project = stack_project(tmp_path, "dev", insert_after("    targets:", fleet))
    args = ["plan", "--stack", "dev", "--project", str(project), "--no-tree", "--no-cost"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 2
    assert "targets.llama-fleet.capacity.end_date: is already past" in " ".join(err.split())
    code, out, err = run_cli([*args, "--as-of", "2024-01-15"], monkeypatch, capsys)
    assert code == 0, err
    assert "planned dev" in out


def test_as_of_must_be_a_date(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["check", "--stack", "dev", "--as-of", "31/01/2024"], monkeypatch, capsys
    )
    assert code == 2
    assert "--as-of '31/01/2024' is not a date (YYYY-MM-DD)" in err


SONNET_V2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"

# (case, stack, target, fields set on it, key path): per bedrock_offers.yaml
NOT_OFFERED: list[tuple[str, str, str, Spec, str]] = [
    (
        "global profile of Claude 3 Haiku",
        "prod-eu-central-1",
        "claude-haiku-eu",
        {"inference": "global"},
        "targets.claude-haiku-eu.inference",
    ),
    (
        "EU profile of Claude 3.5 Sonnet v2",
        "prod-eu-central-1",
        "claude-haiku-eu",
        {"model": SONNET_V2, "inference": "geo"},
        "targets.claude-haiku-eu.inference",
    ),
    (
        "Claude 3.7 Sonnet in-region on demand",
        "dev",
        "claude-haiku",
        {"model": "anthropic.claude-3-7-sonnet-20250219-v1:0", "inference": "region"},
        "targets.claude-haiku.inference",
    ),
    (
        "EU profile of Llama 3.1",
        "prod-eu-central-1",
        "claude-haiku-eu",
        {"model": "meta.llama3-1-8b-instruct-v1:0", "inference": "geo"},
        "targets.claude-haiku-eu.inference",
    ),
    (
        "global profile of Nova Pro",
        "dev",
        "claude-haiku",
        {"model": "amazon.nova-pro-v1:0", "inference": "global"},
        "targets.claude-haiku.inference",
    ),
    (
        "APAC profile of Claude Sonnet 4.5",
        "dev",
        "claude-haiku",
        {
            "region": "ap-northeast-1",
            "model": "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "inference": "geo",
        },
        "targets.claude-haiku.inference",
    ),
    (
        "Lambda calling Claude Sonnet 4 in-region",
        "prod-us-east-1",
        "summarize-fn",
        {"model": "anthropic.claude-sonnet-4-20250514-v1:0"},
        "targets.summarize-fn.model",
    ),
]


@pytest.mark.parametrize(
    ("stack", "target", "fields", "path"),
    [c[1:] for c in NOT_OFFERED],
    ids=[c[0] for c in NOT_OFFERED],
)
def test_bedrock_combination_not_offered_is_refused(
    stack: str, target: str, fields: Spec, path: str
) -> None:
    error = _refused(stack, lambda d: d["targets"][target].update(fields))
    [issue] = [i for i in error.issues if i.path == path]
    assert "offered:" in issue.message
    assert "Bedrock offer table as of 2026-11-30" in issue.message
    assert "inference-profiles-support" in issue.message


@pytest.mark.parametrize(
    "fields",
    [
        {"model": "anthropic.claude-sonnet-4-20250514-v1:0", "inference": "global"},
        {"model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "inference": "geo"},
        {"model": "cohere.command-r-plus-v1:0", "inference": "global"},
    ],
    ids=["offered global", "offered eu", "absent from the table: preflight decides"],
)
def test_offered_or_unknown_combinations_are_accepted(fields: Spec) -> None:
    data = stack_spec_data("prod-eu-central-1")
    data["targets"]["claude-haiku-eu"].update(fields)
    data["routes"] = [r for r in data["routes"] if r["name"] != "fast"]  # geo/global: no zone
    data["routes"][1]["targets"] = ["mistral-serverless"]
    data["routes"][2]["targets"] = ["mistral-serverless", "claude-haiku-eu"]
    parse_spec(data, "test", {"aws": "eu-central-1"})
