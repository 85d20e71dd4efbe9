"""``router smoke`` runs the zip as the deployed Lambda function runs: the handler and the
adapter environment the LambdaRouter component renders, ``run.sh`` under the Lambda Web
Adapter's fake (``inferplane.smoke.lambda_runtime``). So a zip whose ``run.sh`` is missing
or not executable fails the smoke, as the function would fail on Lambda."""

from __future__ import annotations

import socket
import stat
import zipfile
from pathlib import Path

import pulumi
import pytest

from inferplane.components.base import Labels
from inferplane.components.router.aws_lambda import LambdaRouter, LambdaRouterArgs, function_entry
from inferplane.errors import BuildError
from inferplane.packaging import default_cache
from inferplane.router.config import RouterConfig
from inferplane.router.contract import LAMBDA_RUN_SCRIPT
from inferplane.smoke import run_smoke
from inferplane.smoke.lambda_runtime import WebAdapterRuntime
from inferplane.smoke.packaged import LambdaZipRouter, host_zip
from tests.conftest import ROOT
from tests.support.recording import only, record
from tests.support.routersource import site_config_json

LABELS = Labels("dev", "ml-platform", "cc-4711", "us", "internal", "router")


def test_the_smoke_runs_the_handler_and_environment_the_component_deploys() -> None:
    def router() -> None:
        LambdaRouter(
            "router",
            LambdaRouterArgs(
                config_json=site_config_json("http://127.0.0.1:9/v1"),
                labels=LABELS,
                region="us-east-1",
                code=pulumi.FileArchive("router.zip"),
                architecture="x86_64",
            ),
        )

    function = only(record(router), "aws:lambda/function:Function").inputs
    handler, adapter = function_entry()
    assert handler == function["handler"] == LAMBDA_RUN_SCRIPT
    rendered = function["environment"]["variables"]
    assert {name: rendered[name] for name in adapter} == adapter
    assert adapter["AWS_LWA_INVOKE_MODE"] == "response_stream"


@pytest.fixture(scope="module")
def package() -> Path:
    # Where `inferplane router smoke` keeps it: rebuilt only when the router changed.
    return host_zip(ROOT, ROOT / "build" / "smoke", default_cache(ROOT), lambda message: None)


def _broken(package: Path, out: Path, fault: str) -> Path:
    """``package`` with its run.sh dropped (``missing``) or mode 0644 (``not executable``)."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)  # before the info changes how it is stored
            if info.filename == LAMBDA_RUN_SCRIPT:
                if fault == "missing":
                    continue
                assert stat.S_IMODE(info.external_attr >> 16) & 0o111, "run.sh shipped 0755"
                info.external_attr = (0o100644 << 16) | (info.external_attr & 0xFFFF)
            info.compress_type = zipfile.ZIP_STORED  # quicker to write; same files
            target.writestr(info, data)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "says"),
    [("missing", "No such file or directory"), ("not executable", "Permission denied")],
)
def test_a_zip_whose_run_sh_cannot_start_fails_the_smoke(
    package: Path, tmp_path: Path, fault: str, says: str
) -> None:
    broken = _broken(package, tmp_path / "router.zip", fault)
    config = RouterConfig.model_validate_json(site_config_json("http://127.0.0.1:9/v1"))
    with pytest.raises(BuildError, match="the function exited before it was ready") as failed:
        run_smoke("site", config, lambda env: LambdaZipRouter(broken, env))
    assert LAMBDA_RUN_SCRIPT in str(failed.value)
    assert says in str(failed.value)


def test_an_adapter_port_held_by_another_process_is_refused(tmp_path: Path) -> None:
    """A router left over from an interrupted run must not answer for the function under
    test: the fake adapter refuses to start when AWS_LWA_PORT is taken."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        environment = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap", "AWS_LWA_PORT": str(port)}
        runtime = WebAdapterRuntime(tmp_path / "task", "run.sh", environment, tmp_path)
        with pytest.raises(BuildError, match=rf"127.0.0.1:{port} \(AWS_LWA_PORT\) is already"):
            runtime.__enter__()
