"""What ships runs with every optional feature on: the real Lambda zip, unpacked, and the
real image's rootfs, each in a clean interpreter with only the package on ``sys.path``,
import every router module and start the router with the semantic cache, Redis state
(a real redis-server) and one target of every backend; then answer chats through the
caches to a fake upstream. (numpy was missing from both: every chat would have been a
500 with ``semantic: true``.)"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import typing
import zipfile
from pathlib import Path
from typing import Any

import pytest
import redis

from inferplane.packaging.lambda_zip import LambdaPackage
from inferplane.router.config import Backend, RouterConfig
from inferplane.router.contract import CONFIG_ENV
from inferplane.smoke.openai_upstream import ANSWER, OpenAIUpstream
from inferplane.smoke.redis import LocalRedis
from inferplane.smoke.server import LoopbackServer
from tests.support.tools import require_root, require_tool

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).resolve().parents[1] / "support" / "packaged_driver.py"
REDIS_ENV = "SMOKE_REDIS_URL"
BACKENDS: tuple[str, ...] = typing.get_args(Backend)
OPS_KEY = "ops-key-for-metrics"  # the driver sends it for /metrics (operators only)
OPS_SALT = "5a17"
OPS_SHA = hashlib.sha256((OPS_SALT + OPS_KEY).encode()).hexdigest()


def every_feature_config(upstream_url: str) -> str:
    """One target per backend (only ``upstream`` is ever called), semantic + exact cache,
    Redis state from an ``env`` secret."""
    extra: dict[str, dict[str, Any]] = {
        "openai": {"url": "http://127.0.0.1:9/v1"},
        "lambda_url": {"url": "http://127.0.0.1:9/v1", "region": "us-east-1"},
        "azure_openai": {"url": "http://127.0.0.1:9", "api_version": "2024-10-21"},
        "anthropic": {"url": "http://127.0.0.1:9"},
        "vertex": {"url": "http://127.0.0.1:9/v1/projects/p/locations/l/endpoints/e"},
        "bedrock": {"region": "us-east-1"},
        "sagemaker": {"region": "us-east-1", "endpoint_name": "ep"},
    }
    assert set(extra) == set(BACKENDS), "a new backend needs a line here"
    targets: dict[str, dict[str, Any]] = {
        f"every-{backend}": {
            "backend": backend,
            "model": "m",
            "location": "cloud:aws:us-east-1",
            "allowed_data_classes": ["public"],
            **fields,
        }
        for backend, fields in extra.items()
    }
    targets["upstream"] = {
        "backend": "openai",
        "model": "fake-model",
        "url": upstream_url,
        "location": "cloud:aws:us-east-1",
        "allowed_data_classes": ["public"],
    }
    config = RouterConfig.model_validate(
        {
            "stack": "packaged",
            "environment": "test",
            "default_data_class": "public",
            "data_classes": {"public": {"placement": "any", "rank": 0}},
            "targets": targets,
            "routes": [{"name": "default", "targets": ["upstream"]}],
            "auth_required": False,
            "cache": {"semantic": {"enabled": True, "threshold": 0.8}},
            "state": {"backend": "redis", "url": {"store": "env", "name": REDIS_ENV}},
            "admin": {"keys": [{"id": "ops", "salt": OPS_SALT, "sha256": OPS_SHA}]},
        }
    )
    return config.to_json()


def _run_driver(
    python: list[str], root: str, mode: str, env: dict[str, str], cwd: Path, driver: str
) -> dict[str, Any]:
    result = subprocess.run(
        [*python, driver, root, mode],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return dict(json.loads(result.stdout.splitlines()[-1]))


def _check(report: dict[str, Any], upstream: OpenAIUpstream, redis_url: str) -> None:
    assert {f"every-{b}" for b in BACKENDS} <= set(report["backends"])
    assert set(report["clients"]) == {"every-bedrock", "every-sagemaker"}
    assert report["store"] == "RedisStore"
    assert report["semantic"] is True
    # Inside the zip the router is top level.
    assert "router.cache" in report["modules"]  # inferplane-codemod: keep
    assert "router.backends.bedrock" in report["modules"]  # inferplane-codemod: keep
    health, first, similar, stream, metrics = report["answers"]
    assert health["status"] == 200
    assert first["status"] == 200, first["body"]
    assert json.loads(first["body"])["choices"][0]["message"]["content"] == ANSWER
    assert similar["status"] == 200, similar["body"]
    assert stream["status"] == 200, stream["body"]
    assert stream["body"].rstrip().endswith("data: [DONE]")
    # The near-duplicate was answered by the semantic cache (numpy), not the upstream.
    assert 'cache="semantic",result="hit"' in metrics["body"]
    assert [c.json()["messages"][0]["content"] for c in upstream.calls] == [
        "what is the capital of france",
        "name three rivers",
    ]
    # The exact cache and the rate limits live in the real Redis.
    keys = redis.Redis.from_url(redis_url).keys("inferplane:packaged*")
    assert keys


def test_lambda_zip_runs_every_feature(host_zip: LambdaPackage, tmp_path: Path) -> None:
    require_tool("redis-server")
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(host_zip.path) as archive:
        archive.extractall(unpacked)
    # -I keeps the interpreter's own site-packages on sys.path; drop it so only the
    # unpacked zip provides packages (as in Lambda's /var/task).
    isolate = (
        f"import sys, runpy; sys.path[:] = [{str(unpacked)!r}] + [p for p in sys.path "
        "if 'site-packages' not in p]; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    with LoopbackServer(fake := OpenAIUpstream()) as upstream, LocalRedis() as server:
        env = {
            CONFIG_ENV: every_feature_config(f"{upstream.url}/v1"),
            REDIS_ENV: server.url,
            "AWS_ACCESS_KEY_ID": "packaged",
            "AWS_SECRET_ACCESS_KEY": "packaged",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        report = _run_driver(
            [sys.executable, "-I", "-c", isolate], str(unpacked), "zip", env, tmp_path, str(DRIVER)
        )
        _check(report, fake, server.url)


def test_image_rootfs_runs_every_feature(
    router_snapshot: Path, cache: Path, tmp_path: Path
) -> None:
    require_root()
    require_tool("debootstrap", "dpkg-deb", "umoci", "redis-server")
    from inferplane.packaging.router_image import build_router_image

    image = build_router_image(router_snapshot, tmp_path / "out", cache, arches=("amd64",))
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{image.layout}:{image.tag}-amd64", str(bundle)],
        capture_output=True,
        check=True,
    )
    rootfs = bundle / "rootfs"
    runtime = json.loads((bundle / "config.json").read_text())["process"]
    image_env = dict(item.split("=", 1) for item in runtime["env"])
    shutil.copyfile(DRIVER, rootfs / "tmp" / "driver.py")
    uid, gid = runtime["user"]["uid"], runtime["user"]["gid"]
    with LoopbackServer(fake := OpenAIUpstream()) as upstream, LocalRedis() as server:
        env = {
            **image_env,
            CONFIG_ENV: every_feature_config(f"{upstream.url}/v1"),
            REDIS_ENV: server.url,
            "AWS_ACCESS_KEY_ID": "packaged",
            "AWS_SECRET_ACCESS_KEY": "packaged",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        # The image's own interpreter, user and PYTHONPATH (its app + site-packages).
        python = [
            shutil.which("chroot") or "chroot",
            f"--userspec={uid}:{gid}",
            str(rootfs),
            runtime["args"][0],
        ]
        report = _run_driver(python, "/opt/inferplane", "image", env, tmp_path, "/tmp/driver.py")
        _check(report, fake, server.url)
