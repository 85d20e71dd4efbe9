"""The launch template's boot script: start the model server's container on every GPU,
weights cached on the encrypted root volume; every value reaches the script through
``components/shell.py`` (``quote``, ``comment``)."""

from __future__ import annotations

from inferplane.components.aws.gpu_fleet.checks import plain_env
from inferplane.components.aws.gpu_fleet.queue_agent import cloudwatch_agent_lines
from inferplane.components.container import ContainerSpec
from inferplane.components.shell import comment, quote

__all__ = ["MODEL_CACHE", "render_user_data"]

MODEL_CACHE = "/opt/models"
# Where the engines keep weights inside the container (all under the cache mount).
_CACHE_ENV = {
    "HF_HOME": "/models",
    "HUGGINGFACE_HUB_CACHE": "/models/hub",
    "OLLAMA_MODELS": "/models/ollama",
}


def render_user_data(
    container: ContainerSpec,
    region: str,
    model: str,
    hf_token_secret_arn: str | None = None,
    queue: tuple[str, str] | None = None,
) -> str:
    """The boot script: start ``container`` on all GPUs, weights cached on the encrypted
    root volume (so warm-pool restarts skip the download); ``queue`` is (metric, fleet)
    for the CloudWatch agent that scrapes the engine's queue gauge."""
    lines = [
        "#!/bin/bash",
        f"# inferplane GPU fleet: {comment(model, 'model')} ({comment(container.image, 'image')})",
        "set -euo pipefail",
        f"mkdir -p {MODEL_CACHE}",
    ]
    if hf_token_secret_arn:
        lines += _read_token(region, hf_token_secret_arn)
    lines += _run(container, token=bool(hf_token_secret_arn))
    lines += _pull_ollama_model(container)
    if queue is not None:
        lines += cloudwatch_agent_lines(queue[0], queue[1], container.port)
    return "\n".join(lines) + "\n"


def _read_token(region: str, secret_arn: str) -> list[str]:
    return [
        "HF_TOKEN=$(aws secretsmanager get-secret-value"
        f" --region {quote(region)} --secret-id {quote(secret_arn)}"
        " --query SecretString --output text)",
        "export HF_TOKEN",
    ]


def _run(container: ContainerSpec, token: bool) -> list[str]:
    """(Re)start the container: the host's port, the weights cache and every GPU."""
    env = {**_CACHE_ENV, **plain_env(container)}
    env_flags = " ".join(f"-e {quote(f'{k}={v}')}" for k, v in sorted(env.items()))
    token_flag = " -e HF_TOKEN" if token else ""
    # docker's --entrypoint takes one word; the rest of the command leads the arguments.
    entrypoint = f" --entrypoint {quote(container.command[0])}" if container.command else ""
    words = " ".join(quote(a) for a in (*container.command[1:], *container.args))
    port = container.port
    return [
        "docker rm -f model-server 2>/dev/null || true",
        "docker run -d --name model-server --restart unless-stopped --gpus all --ipc=host"
        f" -p {port}:{port} -v {MODEL_CACHE}:/models {env_flags}{token_flag}{entrypoint}"
        f" {quote(container.image)} {words}".rstrip(),
    ]


def _pull_ollama_model(container: ContainerSpec) -> list[str]:
    """Ollama serves models it has pulled; OLLAMA_MODEL is ours, not Ollama's."""
    ollama_model = plain_env(container).get("OLLAMA_MODEL")
    if not ollama_model:
        return []
    return [
        f"until curl -sf http://127.0.0.1:{container.port}{container.health_path};"
        " do sleep 5; done",
        f"docker exec model-server ollama pull {quote(ollama_model)}",
    ]
