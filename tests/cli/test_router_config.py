"""``inferplane router config`` prints the RouterConfig as deployed: with the ``state``
section the deployment adds when it provisions the router's managed Redis (issue 15), as
the secret reference the router will read, never the URL itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inferplane.errors import PlanError
from inferplane.plan import Graph, run_program
from inferplane.routerconfig import deployed_config_json
from inferplane.spec import load_stack

ROOT = Path(__file__).resolve().parents[2]
CONFIG_ARGS = ("router", "config", "--stack", "prod-europe-west4")


def _state(stack: str) -> Any:
    graph = run_program(ROOT, load_stack(ROOT, stack))
    return json.loads(deployed_config_json(graph)).get("state")


def _aws_secret(state: Any) -> tuple[str, str, str]:
    url = state["url"]
    return url["store"], url["key"], url["name"].rsplit(":", 1)[0]


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        # Lambda: ElastiCache Serverless, the URL in a Secrets Manager secret (its ARN).
        (
            "prod-eu-central-1",
            ("aws_secretsmanager", "url", "arn:aws:secretsmanager:eu-central-1:123456789012"),
        ),
        # On EKS with 3 replicas: ElastiCache Serverless in the cluster's VPC.
        (
            "prod-k8s",
            ("aws_secretsmanager", "url", "arn:aws:secretsmanager:eu-central-1:123456789012"),
        ),
    ],
)
def test_aws_routers_read_the_state_url_from_the_provisioned_secret(
    stack: str, expected: tuple[str, str, str]
) -> None:
    state = _state(stack)
    assert set(state) == {"backend", "url"}
    assert state["backend"] == "redis"
    assert _aws_secret(state) == expected


def test_cloud_run_router_reads_url_and_ca_from_secret_manager() -> None:
    secret = "projects/inferplane-prod-eu/secrets/prod-europe-west4-state-url"
    assert _state("prod-europe-west4") == {
        "backend": "redis",
        "url": {"store": "gcp_secretmanager", "name": secret, "key": "url"},
        "ca": {"store": "gcp_secretmanager", "name": secret, "key": "ca"},
    }


def test_container_app_router_reads_the_url_from_its_secret_environment() -> None:
    assert _state("prod-westeurope") == {
        "backend": "redis",
        "url": {"store": "env", "name": "INFERPLANE_ROUTER_STATE_URL"},
    }


def test_a_router_without_managed_state_has_none() -> None:
    assert _state("dev") is None  # dev says state: memory


def test_a_graph_without_one_router_is_refused() -> None:
    with pytest.raises(PlanError, match="registered 0 routers"):
        deployed_config_json(Graph(project="p", stack="s"))


def test_the_cli_prints_the_state_section_without_the_url() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from inferplane.cli import main; main()", *CONFIG_ARGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)["state"]
    assert {ref["store"] for ref in (state["url"], state["ca"])} == {"gcp_secretmanager"}
    assert "rediss://" not in result.stdout
    assert "offline plan's placeholders" in " ".join(result.stderr.split())
