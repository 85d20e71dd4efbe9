"""Container images a resource runs, wherever the platform keeps the reference: an
``image`` property (Kubernetes, Cloud Run, Container Apps, SageMaker, edge) or a
``docker``/``podman`` command in EC2 user data (the GPU fleet's engine)."""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Iterator

from inferplane.policies.model import Resource
from inferplane.policies.values import as_str, strings

__all__ = ["images_in_script", "images_of"]

IMAGE_KEYS = frozenset({"image", "images"})
USER_DATA_KEYS = ("userData", "userDataBase64", "user_data")
RUNTIMES = frozenset({"docker", "podman", "nerdctl"})
# Options of `docker run` / `podman run` that take the next word as their value.
VALUED = frozenset(
    ["-p", "-v", "-e", "-u", "-w", "-h", "-l", "-m", "--publish", "--volume", "--env",
     "--env-file", "--name", "--restart", "--user", "--workdir", "--hostname", "--label",
     "--memory", "--gpus", "--network", "--net", "--ipc", "--entrypoint", "--mount",
     "--shm-size", "--log-driver", "--log-opt", "--cpus", "--runtime", "--device", "--ulimit",
     "--add-host", "--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "--pull",
     "--platform", "--pid", "--health-cmd", "--stop-signal", "--cgroupns", "--dns", "--expose",
     "--label-file"]
)  # fmt: skip


def images_of(resource: Resource) -> Iterator[str]:
    """Every image reference in ``resource``'s properties and user data."""
    for key, text in strings(resource.properties):
        if key in IMAGE_KEYS:
            yield text
    for key in USER_DATA_KEYS:
        script = _decoded(as_str(resource.properties.get(key)))
        if script:
            yield from images_in_script(script)


def _decoded(value: str | None) -> str | None:
    if value is None or value.startswith("#!") or "\n" in value:
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def images_in_script(script: str) -> Iterator[str]:
    """Images that ``docker|podman run|pull|create`` lines of a shell script name."""
    for line in script.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for i, word in enumerate(words[:-1]):
            if word.rsplit("/", 1)[-1] in RUNTIMES and words[i + 1] in ("run", "pull", "create"):
                image = _first_argument(words[i + 2 :])
                if image:
                    yield image


def _first_argument(words: list[str]) -> str | None:
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in VALUED
        else:
            return word
    return None
