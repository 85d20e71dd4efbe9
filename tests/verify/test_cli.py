"""`inferplane verify` through the CLI entry point: moto for AWS, a fake router."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_cli
from tests.verify.conftest import SPEC, create_endpoint, create_function
from tests.verify.fake_router import FakeRouter

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(("answer", "code"), [("ready", 0), (None, 1)])
def test_verify_a_deployed_stack(
    tmp_path: Path,
    router: FakeRouter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str | None,
    code: int,
) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    stack = {"config": {"aws:region": "us-east-1", "inferplane:spec": SPEC}}
    (tmp_path / "stacks" / "Pulumi.live.yaml").write_text(yaml.safe_dump(stack))
    create_endpoint("mistral-ep")
    create_function("summarize")
    create_function("router-fn")
    outputs = {
        "environment": "prod",
        "targets": {
            "mistral-sm": {"backend": "sagemaker", "endpoint_name": "mistral-ep"},
            "summarize-fn": {"endpoint_name": "summarize"},
        },
        "router_url": router.url,
        "router_function": "router-fn",
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    router.answer = answer
    exit_code, out, _ = run_cli(
        [
            "verify",
            "--stack",
            "live",
            "--outputs",
            str(tmp_path / "outputs.json"),
            "--project",
            str(tmp_path),
            "--api-key",
            "sk-1",
            "--format",
            "json",
        ],
        monkeypatch,
        capsys,
    )
    data = json.loads(out)
    statuses = {(r["check"], r["subject"]): r["status"] for r in data["results"]}
    assert statuses == {
        ("sagemaker-endpoint", "mistral-sm"): "pass",
        ("lambda-function", "summarize-fn"): "pass",
        ("lambda-function", "router"): "pass",
        ("router-healthz", "router"): "pass",
        ("router-chat", "router"): "pass" if answer else "fail",
    }
    assert exit_code == code
    # The router runs on Lambda without public access: requests are SigV4-signed.
    headers = router.received[-1][2]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert headers["api-key"] == "sk-1"
