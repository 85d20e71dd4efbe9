"""Issue 18, kind 3: errors that misled. An unknown ``kind`` shows the bad value (and the
nearest kind); a bad provider region is blamed on the provider key, not on
``router.region`` which the user never set; a secret pasted where a reference belongs is
never printed back; a homoglyph is shown with its code points; ``plan``/``check`` do not
announce that the program ran when the spec was refused before running it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.spec import load_stack, parse_spec
from tests.conftest import stack_spec_data
from tests.support.cli import run_cli
from tests.support.stackfiles import stack_project

Spec = dict[str, Any]
REGIONS = {
    "dev": {"aws": "us-east-1"},
    "prod-us-east-1": {"aws": "us-east-1"},
    "prod-eu-central-1": {"aws": "eu-central-1"},
}


def _error(stack: str, mutate: Callable[[Spec], None]) -> SpecError:
    data = stack_spec_data(stack)
    mutate(data)
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "test", REGIONS[stack])
    return caught.value


def _at(error: SpecError, path: str) -> str:
    found = [str(i) for i in error.issues if i.path == path]
    assert found, f"no issue at {path}: {[str(i) for i in error.issues]}"
    return " ".join(found)


# (case, kind given, text the error must show)
KINDS: list[tuple[str, object, str]] = [
    ("unknown word", "openai_direct", "(got 'openai_direct')"),
    ("capitalised", "Bedrock", "did you mean 'bedrock'?"),
    ("dash for underscore", "sagemaker-serverless", "did you mean 'sagemaker_serverless'?"),
    ("another dash", "azure-openai", "did you mean 'azure_openai'?"),
    ("a number", 5, "(got '5')"),
]


@pytest.mark.parametrize(("kind", "shown"), [c[1:] for c in KINDS], ids=[c[0] for c in KINDS])
def test_unknown_kind_shows_the_value(kind: object, shown: str) -> None:
    error = _error("dev", lambda d: d["targets"]["claude-haiku"].update(kind=kind))
    text = _at(error, "targets.claude-haiku.kind")
    assert shown in text
    assert "allowed: bedrock, sagemaker" in text


# (case, stack file, provider key, bad value)
PROVIDER_REGIONS: list[tuple[str, str, str, str]] = [
    ("aws region missing a dash", "dev", "aws:region", "us-east1"),
    ("gcp region that does not exist", "prod-europe-west4", "gcp:region", "europe-west44"),
    ("azure location as display name", "prod-westeurope", "azure-native:location", "West Europe"),
    ("aws region with a Cyrillic e", "dev", "aws:region", "us-\u0435ast-1"),
]


@pytest.mark.parametrize(
    ("stack", "key", "value"),
    [c[1:] for c in PROVIDER_REGIONS],
    ids=[c[0] for c in PROVIDER_REGIONS],
)
def test_bad_provider_region_is_blamed_on_the_provider_key(
    tmp_path: Path, stack: str, key: str, value: str
) -> None:
    def edit(text: str) -> str:
        head, sep, tail = text.partition(f"  {key}: ")
        return head + sep + f'"{value}"' + tail[tail.index("\n") :]

    project = stack_project(tmp_path, stack, edit)
    with pytest.raises(SpecError) as caught:
        load_stack(project, stack).spec  # noqa: B018
    assert caught.value.paths == (key,)
    assert repr(value) in _at(caught.value, key)


def test_a_router_region_the_user_set_is_still_blamed_on_it() -> None:
    """Control: when ``router.region`` is given, it is the key to fix."""
    error = _error("dev", lambda d: d["router"].update(region="us-east1"))
    assert error.paths == ("router.region",)


TOKEN = "hf_" + "Q7x2Lm9Pz4Kd8Rt1Vb6Nw3Jc5Hy0Ga2Se"  # fake, Hugging Face's shape
OPENAI_KEY = "sk-proj-" + "Zq4Wm8Xv2Lr6Tn0Pb5Kc9Hd3Jf7Gs1Ya"  # fake, OpenAI's shape
GITHUB_TOKEN = "ghp_" + "Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc1Ef3Hj5"  # fake, GitHub's shape
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


def _fleet_token(value: str) -> Callable[[Spec], None]:
    return lambda d: d["targets"]["llama-fleet"].update(hf_token_secret=value)


def _edge_ssh_key(d: Spec) -> None:
    d["targets"]["llama-lab"].update(
        address="10.0.0.5",
        bundle="out/austin-lab",
        ssh={"private_key": PEM, "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"},
    )


# (case, stack, mutation, key path, the secret that must not be printed)
PASTED: list[tuple[str, str, Callable[[Spec], None], str, str]] = [
    (
        "Hugging Face token instead of a secret ARN",
        "prod-us-east-1",
        _fleet_token(TOKEN),
        "targets.llama-fleet.hf_token_secret",
        TOKEN,
    ),
    (
        "a token of no known shape under a secret-named key",
        "prod-us-east-1",
        _fleet_token("my-very-own-hf-token-123"),
        "targets.llama-fleet.hf_token_secret",
        "my-very-own-hf-token-123",
    ),
    (
        "private key instead of the config key naming it",
        "dev",
        _edge_ssh_key,
        "targets.llama-lab.ssh.private_key",
        "b3BlbnNzaC1rZXktdjEAAAAA",
    ),
    (
        "client key instead of its hash",
        "dev",
        lambda d: d["router"]["keys"][0].update(sha256=OPENAI_KEY),
        "router.keys[0].sha256",
        OPENAI_KEY,
    ),
    (
        "registry token instead of an image",
        "prod-us-east-1",
        lambda d: d["targets"]["llama-fleet"]["serving"].update(image=GITHUB_TOKEN),
        "targets.llama-fleet.serving.image",
        GITHUB_TOKEN,
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "path", "secret"),
    [c[1:] for c in PASTED],
    ids=[c[0] for c in PASTED],
)
def test_pasted_secret_is_never_printed_back(
    stack: str, mutate: Callable[[Spec], None], path: str, secret: str
) -> None:
    error = _error(stack, mutate)
    assert "<redacted" in _at(error, path)
    assert secret not in str(error)
    assert all(secret not in repr(i.value) for i in error.issues)


# (case, mutation, key path, the code point the error must name)
HOMOGLYPHS: list[tuple[str, Callable[[Spec], None], str, str]] = [
    (
        "Cyrillic e in a target region",
        lambda d: d["targets"]["claude-haiku-eu"].update(region="eu-c\u0435ntral-1"),
        "targets.claude-haiku-eu.region",
        "'\u0435' is U+0435 CYRILLIC SMALL LETTER IE",
    ),
    (
        "Cyrillic es in a residency region",
        lambda d: d["residency"]["regions"].update(aws=["eu-\u0441entral-1", "eu-west-1"]),
        "residency.regions",
        "U+0441 CYRILLIC SMALL LETTER ES",
    ),
    (
        "Cyrillic a in a target name",
        lambda d: d["targets"].update({"cl\u0430ude": d["targets"].pop("claude-haiku-eu")}),
        "targets.cl\u0430ude",
        "U+0430 CYRILLIC SMALL LETTER A",
    ),
    (
        "Greek alpha in an edge site",
        lambda d: d["targets"]["llama-plant"].update(site="munich-pl\u03b1nt"),
        "targets.llama-plant.site",
        "U+03B1 GREEK SMALL LETTER ALPHA",
    ),
    (
        "Cyrillic o in the router region",
        lambda d: d["router"].update(region="eu-centr\u0430l-1".replace("\u0430", "a") + "\u043e"),
        "router.region",
        "U+043E CYRILLIC SMALL LETTER O",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "code_point"),
    [c[1:] for c in HOMOGLYPHS],
    ids=[c[0] for c in HOMOGLYPHS],
)
def test_homoglyph_is_shown_with_its_code_point(
    mutate: Callable[[Spec], None], path: str, code_point: str
) -> None:
    error = _error("prod-eu-central-1", mutate)
    assert code_point in _at(error, path)


def _invalid(text: str) -> str:
    return text.replace("region: us-east-1\n        model", "region: us-mars-1\n        model")


def _repeated(text: str) -> str:
    return text.replace("  aws:region: us-east-1\n", "  aws:region: us-east-1\n" * 2)


# (case, command, edit of the dev stack)
REFUSED_BEFORE_RUNNING: list[tuple[str, list[str], Callable[[str], str]]] = [
    ("plan, invalid spec", ["plan", "--no-tree", "--no-cost"], _invalid),
    ("check, invalid spec", ["check"], _invalid),
    ("plan, repeated key", ["plan", "--no-tree", "--no-cost"], _repeated),
    ("check, plain-text secret", ["check"], lambda t: t + "  aws:secretKey: abcdEFGH1234\n"),
]


@pytest.mark.parametrize(
    ("command", "edit"),
    [c[1:] for c in REFUSED_BEFORE_RUNNING],
    ids=[c[0] for c in REFUSED_BEFORE_RUNNING],
)
def test_refused_spec_is_not_reported_as_a_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    edit: Callable[[str], str],
) -> None:
    project = stack_project(tmp_path, "dev", edit)
    code, _, err = run_cli(
        [*command, "--stack", "dev", "--project", str(project)], monkeypatch, capsys
    )
    assert code == 2, err
    assert "invalid stack spec" in err
    assert "offline synthesis" not in err
    assert "mock runtime" not in err


def test_plan_all_validates_every_stack_before_running_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = stack_project(tmp_path, "dev", name="a-good")
    stack_project(tmp_path, "dev", _invalid, name="b-bad")
    code, out, err = run_cli(
        ["plan", "--all", "--project", str(project), "--no-tree", "--no-cost"],
        monkeypatch,
        capsys,
    )
    assert code == 2
    assert "b-bad.yaml" in err.replace("\n", "")
    assert "offline synthesis" not in err
    assert "planned" not in out
