"""Where preflight's Azure and Google checks get their token (``rest.cli_token``): the
environment first, else the cloud's CLI, each failure an error naming what to do."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from inferplane.preflight.azure import AzureError, arm_token
from inferplane.preflight.gcp import GcpError, gcp_token
from inferplane.preflight.rest import segment


def _cli(tmp_path: Path, name: str, script: str) -> None:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def path_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only ``tmp_path`` (the fake CLIs), and no token is in the environment."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("INFERPLANE_AZURE_TOKEN", raising=False)
    monkeypatch.delenv("INFERPLANE_GCP_TOKEN", raising=False)
    return tmp_path


def test_the_environment_wins_over_the_cli(
    path_only: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli(path_only, "az", "exit 7")
    _cli(path_only, "gcloud", "exit 7")
    monkeypatch.setenv("INFERPLANE_AZURE_TOKEN", "from-env-a")
    monkeypatch.setenv("INFERPLANE_GCP_TOKEN", "from-env-g")
    assert (arm_token(), gcp_token()) == ("from-env-a", "from-env-g")


def test_the_cli_token_is_read_from_its_output(path_only: Path) -> None:
    _cli(path_only, "az", """echo '{"accessToken": "arm-tok", "expiresOn": "x"}'""")
    _cli(path_only, "gcloud", "echo '  g-tok  '")
    assert (arm_token(), gcp_token()) == ("arm-tok", "g-tok")


def test_without_token_or_cli_the_error_says_what_to_set(path_only: Path) -> None:
    with pytest.raises(AzureError, match=r"set INFERPLANE_AZURE_TOKEN .* run `az login`"):
        arm_token()
    with pytest.raises(GcpError, match=r"set INFERPLANE_GCP_TOKEN .* `gcloud auth login`"):
        gcp_token()


def test_a_failing_cli_is_named_with_its_stderr(path_only: Path) -> None:
    _cli(path_only, "az", "echo 'Please run az login' >&2; exit 1")
    _cli(path_only, "gcloud", "echo 'reauth needed' >&2; exit 1")
    with pytest.raises(AzureError) as azure:
        arm_token()
    assert str(azure.value) == (
        "`az account get-access-token --resource https://management.azure.com/ -o json` "
        "failed: Please run az login"
    )
    with pytest.raises(GcpError) as gcp:
        gcp_token()
    assert str(gcp.value) == "`gcloud auth print-access-token` failed: reauth needed"


def test_a_segment_cannot_change_the_path() -> None:
    assert segment("a/../b?c=d") == "a%2F..%2Fb%3Fc%3Dd"
