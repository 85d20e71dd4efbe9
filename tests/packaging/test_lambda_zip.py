"""The Lambda deployment zip: deterministic, and its handler, imported from the unpacked
zip in a clean interpreter (``python -I``, only the unpacked directory on sys.path),
answers function-URL events for /healthz and for a chat request to a fake upstream.

The zip under test targets this machine's Python and architecture (python3.11, x86_64),
so its native wheels can be loaded here; the default target (python3.12, arm64) is built
and checked for the right wheels, not run."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inferplane.packaging.lambda_zip import LambdaPackage, build_lambda_zip
from inferplane.smoke.openai_upstream import ANSWER, OpenAIUpstream
from inferplane.smoke.server import LoopbackServer
from tests.support.routersource import site_config_json

pytestmark = pytest.mark.slow

HOST_RUNTIME = f"python3.{sys.version_info.minor}"

DRIVER = r"""
import json, sys
import lambda_entry
assert lambda_entry.__file__.startswith(sys.argv[1]), lambda_entry.__file__
events = json.loads(sys.stdin.read())
print(json.dumps([lambda_entry.handler(event, None) for event in events]))
"""


def _event(method: str, path: str, body: object = None) -> dict[str, object]:
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"Content-Type": "application/json", "Host": "abc.lambda-url.aws"},
        "requestContext": {"http": {"method": method, "path": path}},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def test_same_inputs_give_the_same_zip(
    host_zip: LambdaPackage, router_snapshot: Path, cache: Path, tmp_path: Path
) -> None:
    again = build_lambda_zip(
        router_snapshot, tmp_path / "two.zip", cache, arch="amd64", runtime=HOST_RUNTIME
    )
    assert again.sha256 == host_zip.sha256
    assert again.path.read_bytes() == host_zip.path.read_bytes()


def test_zip_layout(host_zip: LambdaPackage) -> None:
    with zipfile.ZipFile(host_zip.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert "lambda_entry.py" in names
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["run.sh"] == 0o755  # the adapter layer executes it
    assert modes["lambda_entry.py"] == 0o644
    assert "router/core.py" in names
    assert any(n.startswith("pydantic_core/") and n.endswith(".so") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert host_zip.handler == "run.sh"
    assert host_zip.unzipped_size < 250 * 1024 * 1024


def test_handler_answers_function_url_events_from_a_clean_interpreter(
    host_zip: LambdaPackage, tmp_path: Path
) -> None:
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(host_zip.path) as archive:
        archive.extractall(unpacked)
    chat = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    events = [
        _event("GET", "/healthz"),
        _event("POST", "/v1/chat/completions", chat),
        # A different prompt, so the exact cache does not answer it.
        _event(
            "POST",
            "/v1/chat/completions",
            {**chat, "messages": [{"role": "user", "content": "stream"}], "stream": True},
        ),
    ]
    with LoopbackServer(fake := OpenAIUpstream()) as upstream:
        # -I: no PYTHONPATH, no user site, no cwd; then only the unpacked task root.
        # -I keeps a venv's site-packages on sys.path; drop it so only the zip counts.
        code = (
            f"import sys; sys.path[:] = [{str(unpacked)!r}]"
            " + [p for p in sys.path if 'site-packages' not in p]\n" + DRIVER
        )
        result = subprocess.run(
            [sys.executable, "-I", "-c", code, str(unpacked)],
            input=json.dumps(events),
            env={"INFERPLANE_ROUTER_CONFIG": site_config_json(f"{upstream.url}/v1")},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    health, chat_reply, stream_reply = json.loads(result.stdout.splitlines()[-1])
    assert health["statusCode"] == 200
    assert json.loads(health["body"])["status"] == "ok"
    assert chat_reply["statusCode"] == 200
    assert json.loads(chat_reply["body"])["choices"][0]["message"]["content"] == ANSWER
    assert stream_reply["statusCode"] == 200
    assert stream_reply["headers"]["content-type"].startswith("text/event-stream")
    assert stream_reply["body"].rstrip().endswith("data: [DONE]")
    assert [c.path for c in fake.calls] == ["/v1/chat/completions"] * 2


def test_default_target_is_python312_on_arm64_wheels(
    router_snapshot: Path, cache: Path, tmp_path: Path
) -> None:
    package = build_lambda_zip(router_snapshot, tmp_path / "arm.zip", cache)
    assert (package.runtime, package.architecture) == ("python3.12", "arm64")
    with zipfile.ZipFile(package.path) as archive:
        natives = [n for n in archive.namelist() if n.endswith(".so")]
    core = [n for n in natives if n.startswith("pydantic_core/")]
    assert core
    assert all("cpython-312-aarch64-linux-gnu" in n for n in core)
