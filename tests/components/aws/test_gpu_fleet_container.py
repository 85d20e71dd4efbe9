"""The GPU fleet's model server is a ``ContainerSpec``: the one container value the other
platforms take. What the fleet does with each of its fields, run through the real
component under the recording mock engine and through bash/shellcheck where it is a
script."""

from __future__ import annotations

import base64
import shlex
import subprocess
from dataclasses import replace
from pathlib import Path

import pulumi
import pytest

from inferplane.components.aws.gpu_fleet import GpuFleet, render_user_data
from inferplane.components.container import ContainerSpec
from inferplane.deployment.aws import gpu_fleet
from inferplane.deployment.context import DeployContext
from inferplane.serving import render
from inferplane.spec import load_stack
from inferplane.spec.targets.aws import GpuFleetTarget
from tests.components.aws.test_gpu_fleet import BASE, VLLM
from tests.conftest import ROOT
from tests.support.recording import one, record

LT = "aws:ec2/launchTemplate:LaunchTemplate"


def _docker_run(script: str) -> list[str]:
    [line] = [line for line in script.splitlines() if line.startswith("docker run ")]
    return shlex.split(line)


# prod-us-east-1's fleet as main planned it before the fleet took a ContainerSpec: the
# launch template's user data must not change by a byte (a change replaces every instance).
SHIPPED_USER_DATA = (
    "#!/bin/bash\n"
    "# inferplane GPU fleet: hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 ("
    "vllm/vllm-openai:v0.11.0@sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c42"
    "7bb1176dc7c93a85845c)\n"
    "set -euo pipefail\n"
    "mkdir -p /opt/models\n"
    "docker rm -f model-server 2>/dev/null || true\n"
    "docker run -d --name model-server --restart unless-stopped --gpus all --ipc="
    "host -p 8000:8000 -v /opt/models:/models -e HF_HOME=/models -e HUGGINGFACE_H"
    "UB_CACHE=/models/hub -e OLLAMA_MODELS=/models/ollama vllm/vllm-openai:v0.11."
    "0@sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c --"
    "model hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 --host 0.0.0.0 --po"
    "rt 8000 --quantization awq --max-model-len 16384 --max-num-seqs 64\n"
)


def test_the_shipped_fleet_boots_the_container_its_serving_block_renders() -> None:
    stack = load_stack(ROOT, "prod-us-east-1").spec
    target = stack.targets["llama-fleet"]
    assert isinstance(target, GpuFleetTarget)
    ctx = DeployContext(stack, "prod-us-east-1", {"aws": "us-east-1"})
    graph = record(lambda: gpu_fleet("llama-fleet", target, ctx))
    script = base64.b64decode(one(graph, LT).inputs["userData"]).decode()
    assert script == SHIPPED_USER_DATA
    container = ContainerSpec.of_engine(render(target.model, target.serving))
    assert script == render_user_data(container, target.region, target.model)


def test_a_command_becomes_the_entrypoint_and_leads_the_arguments() -> None:
    container = replace(
        ContainerSpec.of_engine(VLLM), command=("python3", "-m", "vllm.entrypoints.openai")
    )
    words = _docker_run(render_user_data(container, "us-east-1", "m"))
    image = words.index(container.image)
    assert words[image - 2 : image] == ["--entrypoint", "python3"]
    assert words[image + 1 :] == ["-m", "vllm.entrypoints.openai", *VLLM.args]


def test_without_a_command_the_image_keeps_its_entrypoint() -> None:
    script = render_user_data(ContainerSpec.of_engine(VLLM), "us-east-1", "m")
    assert "--entrypoint" not in script


def test_a_hostile_command_stays_one_word(tmp_path: Path) -> None:
    container = replace(ContainerSpec.of_engine(VLLM), command=("sh; id", "$(id)"))
    script = render_user_data(container, "us-east-1", "m")
    words = _docker_run(script)
    assert words[words.index("--entrypoint") + 1] == "sh; id"
    assert "$(id)" in words
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    subprocess.run(["shellcheck", "-s", "bash", str(path)], check=True)


def test_the_environment_reaches_the_container_sorted_after_the_cache_paths() -> None:
    container = ContainerSpec.of_engine(VLLM).with_env({"VLLM_LOGGING_LEVEL": "DEBUG"})
    words = _docker_run(render_user_data(container, "us-east-1", "m"))
    env = [words[i + 1] for i, word in enumerate(words) if word == "-e"]
    assert env == [
        "HF_HOME=/models",
        "HUGGINGFACE_HUB_CACHE=/models/hub",
        "OLLAMA_MODELS=/models/ollama",
        "VLLM_LOGGING_LEVEL=DEBUG",
    ]


def test_an_environment_value_known_only_at_deploy_time_is_refused() -> None:
    """User data is rendered at plan time: an Output cannot reach it (a ContainerSpec
    allows Outputs for the platforms that pass env through their API)."""

    def program() -> None:
        container = ContainerSpec.of_engine(VLLM).with_env(
            {"API_KEY": pulumi.Output.from_input("secret")}
        )
        GpuFleet("x", replace(BASE, container=container))

    with pytest.raises(Exception, match=r"container.env\['API_KEY'\]: Output is not a plain"):
        record(program)


def test_a_container_without_a_health_path_is_refused() -> None:
    container = replace(ContainerSpec.of_engine(VLLM), health_path=None)
    with pytest.raises(ValueError, match=r"container.health_path: None; the fleet's load balancer"):
        GpuFleet("x", replace(BASE, container=container))


def test_the_load_balancer_uses_the_containers_port_and_health_path() -> None:
    container = replace(ContainerSpec.of_engine(VLLM), port=9000, health_path="/ready")
    graph = record(lambda: GpuFleet("llama", replace(BASE, container=container)))
    group = one(graph, "aws:lb/targetGroup:TargetGroup").inputs
    assert (group["port"], group["healthCheck"]["path"]) == (9000, "/ready")
    ports = {
        rule.name: rule.inputs["fromPort"]
        for kind in ("Ingress", "Egress")
        for rule in graph.by_type(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule")
    }
    assert ports == {
        "llama-alb-to-instances": 9000,
        "llama-instances-from-alb": 9000,
        "llama-instances-https-out": 443,
    }
