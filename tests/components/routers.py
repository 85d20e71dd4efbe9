"""What the router component tests share: the labels, config and image every router is
given, and a Cloud Run router recorded with only what a test changes."""

from __future__ import annotations

from typing import Any

from inferplane.components.base import Labels
from inferplane.components.router.cloud_run import CloudRunRouter, CloudRunRouterArgs
from inferplane.plan import Graph
from tests.support.recording import record

LABELS = Labels("prod", "ml-platform", "cc-4711", "eu", "confidential", "router")
CONFIG = '{"stack": "test"}'
IMAGE = "europe-west4-docker.pkg.dev/acme/inferplane/router@sha256:" + "a" * 64


def cloud_run_args(**changes: Any) -> CloudRunRouterArgs:
    """A Cloud Run router in europe-west4 running ``IMAGE`` with ``CONFIG``."""
    base: dict[str, Any] = {
        "config_json": CONFIG,
        "labels": LABELS,
        "region": "europe-west4",
        "image": IMAGE,
    }
    return CloudRunRouterArgs(**{**base, **changes})


def cloud_run_router(**changes: Any) -> Graph:
    """The graph of a Cloud Run router (``cloud_run_args(**changes)``) in project acme."""
    return record(
        lambda: CloudRunRouter("router", cloud_run_args(**changes)),
        config={"gcp:project": "acme"},
    )
