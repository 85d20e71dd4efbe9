"""The real router image (Debian base via debootstrap, manylinux wheels, router source):
deterministic, accepted by skopeo and umoci, and the router started from the unpacked
root filesystem (chroot, as the image's non-root user) answers /healthz and proxies a
chat request to a fake upstream on loopback. The arm64 image's interpreter and native
wheels are run under qemu-user."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from inferplane.packaging.router_image import RouterImage, build_router_image
from inferplane.smoke.openai_upstream import ANSWER, OpenAIUpstream
from inferplane.smoke.server import LoopbackServer
from tests.support.routersource import site_config_json
from tests.support.tools import require_root, require_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def images(
    router_snapshot: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RouterImage, RouterImage]:
    require_root()
    require_tool("debootstrap", "dpkg-deb")
    out = tmp_path_factory.mktemp("image")
    one = build_router_image(router_snapshot, out / "one", cache)
    two = build_router_image(router_snapshot, out / "two", cache)
    return one, two


def test_two_builds_are_byte_identical(images: tuple[RouterImage, RouterImage]) -> None:
    one, two = images
    assert one.index.digest == two.index.digest
    assert one.manifests == two.manifests
    assert one.archive.read_bytes() == two.archive.read_bytes()


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_skopeo_inspects_each_architecture(
    images: tuple[RouterImage, RouterImage], arch: str
) -> None:
    require_tool("skopeo")
    image = images[0]
    out = subprocess.run(
        ["skopeo", "inspect", "--override-arch", arch, f"oci:{image.layout}:{image.tag}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = json.loads(out)
    assert info["Architecture"] == arch
    # Resolved through the multi-arch index, which is what skopeo reports as Digest.
    assert info["Digest"] == image.index.digest
    assert len(info["Layers"]) == 3
    config = subprocess.run(
        ["skopeo", "inspect", "--config", f"oci-archive:{image.archive}:{image.tag}-{arch}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(config)["config"]["Entrypoint"] == ["/usr/bin/python3", "-m", "router"]


def _unpack(image: RouterImage, arch: str, dest: Path) -> Path:
    require_tool("umoci")
    subprocess.run(
        ["umoci", "unpack", "--image", f"{image.layout}:{image.tag}-{arch}", str(dest)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dest / "rootfs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"router exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def test_router_from_the_unpacked_rootfs_answers_and_proxies(
    images: tuple[RouterImage, RouterImage], tmp_path: Path
) -> None:
    rootfs = _unpack(images[0], "amd64", tmp_path / "bundle")
    runtime = json.loads((tmp_path / "bundle/config.json").read_text())["process"]
    env = dict(item.split("=", 1) for item in runtime["env"])
    port = _free_port()
    with LoopbackServer(fake := OpenAIUpstream()) as upstream:
        (rootfs / "etc/inferplane").mkdir(parents=True, exist_ok=True)
        (rootfs / "etc/inferplane/router.json").write_text(site_config_json(f"{upstream.url}/v1"))
        # The image's own entrypoint and user; only the listen address is changed.
        args = [*runtime["args"][:-4], "--host", "127.0.0.1", "--port", str(port)]
        uid, gid = runtime["user"]["uid"], runtime["user"]["gid"]
        command = [
            shutil.which("chroot") or "chroot",
            f"--userspec={uid}:{gid}",
            str(rootfs),
            *args,
        ]
        process = subprocess.Popen(command, env=env)
        try:
            health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", process, 60)
            assert json.loads(health)["status"] == "ok"
            body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/chat/completions",
                data=json.dumps(body).encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
        finally:
            process.terminate()
            process.wait(10)
    assert answer["choices"][0]["message"]["content"] == ANSWER
    assert fake.calls[0].path == "/v1/chat/completions"
    assert fake.calls[0].json()["model"] == "fake-model"
    assert uid == 65532


def test_arm64_interpreter_loads_the_native_wheels_and_router(
    images: tuple[RouterImage, RouterImage], tmp_path: Path
) -> None:
    require_tool("qemu-aarch64-static")
    rootfs = _unpack(images[0], "arm64", tmp_path / "bundle")
    code = (
        "import platform, pydantic_core, orjson, aiohttp, multidict, yarl, router.core;"
        "print(platform.machine(), router.core.__file__)"
    )
    result = subprocess.run(
        ["qemu-aarch64-static", "-L", str(rootfs), str(rootfs / "usr/bin/python3"), "-c", code],
        env={"PYTHONPATH": "/opt/inferplane/app:/opt/inferplane/site-packages", "HOME": "/tmp"},
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["aarch64", "/opt/inferplane/app/router/core.py"]
    assert os.path.islink(rootfs / "usr/bin/python3")
