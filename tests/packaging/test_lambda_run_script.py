"""The zip's startup script (``run.sh``) and the contract it shares with the router and the
component: the config variable and file, the adapter's port variable."""

from __future__ import annotations

import subprocess

from inferplane.components.aws.web_adapter import adapter_environment
from inferplane.packaging.lambda_zip import RUN_SCRIPT_SOURCE
from inferplane.router.contract import CONFIG_ENV, CONFIG_FILE
from tests.support.tools import require_tool


def test_run_script_reads_the_contracts_names() -> None:
    text = RUN_SCRIPT_SOURCE.read_text()
    assert f"${{{CONFIG_ENV}:-}}" in text
    assert f"/{CONFIG_FILE}" in text
    assert "$AWS_LWA_PORT" in text.replace("${AWS_LWA_PORT:-8080}", "$AWS_LWA_PORT")
    assert "AWS_LWA_PORT" in adapter_environment(8088, "/healthz")
    assert "--host 127.0.0.1" in text  # only the adapter, in the same sandbox, calls it


def test_run_script_passes_shellcheck() -> None:
    require_tool("shellcheck")
    result = subprocess.run(
        ["shellcheck", str(RUN_SCRIPT_SOURCE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
